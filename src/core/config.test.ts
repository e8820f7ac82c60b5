import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSkjoldConfig } from '../app.ts';
import { ConfigError } from './config.ts';

describe('configuration', () => {
  it('uses the embedded defaults with no configuration at all', () => {
    const c = loadSkjoldConfig({ env: {} });
    expect(c.core).toMatchObject({ dataDir: './data', port: 8443, databaseUrl: '', timeZone: 'Europe/Copenhagen' });
    expect(c.audit.checkpointEvery).toBeGreaterThan(0);
  });

  it('reports every bad key at once, naming where each came from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skjold-cfg-'));
    const file = join(dir, 'skjold.json');
    writeFileSync(
      file,
      JSON.stringify({ core: { logLevel: 'loud', colour: 'blue' }, audit: { checkpointEvery: 0 }, nonsense: {} }),
    );
    let err: unknown;
    try {
      loadSkjoldConfig({ file, env: { SKJOLD_PORT: 'eighty', DATABASE_URL: 'mysql://x', SKJOLD_ROLES: 'api,cook' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toContain('SKJOLD_PORT (core.port)');
    expect(problems).toContain('DATABASE_URL (core.databaseUrl)');
    expect(problems).toContain('SKJOLD_ROLES (core.roles)');
    expect(problems).toContain(`${file} core.logLevel (core.logLevel)`);
    expect(problems).toContain(`${file} core.colour: unknown key`);
    expect(problems).toContain(`${file} audit.checkpointEvery (audit.checkpointEvery)`);
    expect(problems).toContain('unknown section "nonsense"');
    expect((err as ConfigError).problems).toHaveLength(7);
  });

  it('lets environment override the file and flags override both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skjold-cfg-'));
    const file = join(dir, 'skjold.json');
    writeFileSync(file, JSON.stringify({ core: { port: 9000, host: '127.0.0.1' } }));
    expect(loadSkjoldConfig({ file, env: {} }).core.port).toBe(9000);
    expect(loadSkjoldConfig({ file, env: { SKJOLD_PORT: '9001' } }).core.port).toBe(9001);
    const c = loadSkjoldConfig({ file, env: { SKJOLD_PORT: '9001' }, overrides: { core: { port: '9002' } } });
    expect(c.core.port).toBe(9002);
    expect(c.core.host).toBe('127.0.0.1');
  });

  it('rejects a config file that is not JSON with the parser message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skjold-cfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ core: ');
    expect(() => loadSkjoldConfig({ file, env: {} })).toThrow(ConfigError);
  });
});
