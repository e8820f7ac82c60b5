import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import { ApiClient } from '../../cli/api-client.ts';
import { applySetup } from '../../cli/apply.command.ts';
import { parseSetupFile } from '../../cli/setup-file.ts';

/** `skjold apply` of sites, through the CLI's own reader and client against a real HTTPS server (SQLite). */
describe('skjold apply: sites with doors and cameras', () => {
  let t: TestApp;
  let client: ApiClient;

  beforeAll(async () => {
    t = await createTestApp('sqlite', { tls: true });
    const port = await t.listen();
    const { token } = await createUserWithToken(t, 'admin');
    client = new ApiClient({ server: `https://127.0.0.1:${port}`, ca: join(t.testDb.dataDir, 'tls-cert.pem') }, token);
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  const FILE = [
    '# Where the servers are',
    'sites:',
    '  - name: DC Ballerup',
    '    country: DK',
    '    holds: [customer-data, backups]',
    '    operator: Nordic Colo A/S',
    '    doors:',
    '      - name: Main entrance',
    '      - { name: Cage 12, entrance: false }',
    '    cameras:',
    '      - { name: CAM-01, covers: Main entrance }',
    '',
  ].join('\n');

  const apply = async (text: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await applySetup(
      parseSetupFile(text, 'sites.yaml'),
      client,
      (s) => void out.push(s),
      (s) => void err.push(s),
    );
    return { code, out: out.join(''), err: err.join('') };
  };

  it('creates, then leaves alone, and reports a bad reference with its file line', async () => {
    const first = await apply(FILE);
    expect(first).toMatchObject({ code: 0, out: 'created site DC Ballerup\n1 created, 0 updated, 0 unchanged\n' });
    const second = await apply(FILE);
    expect(second).toMatchObject({ code: 0, out: 'unchanged site DC Ballerup\n0 created, 0 updated, 1 unchanged\n' });

    const bad = await apply(FILE.replace('covers: Main entrance', 'covers: Back door'));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('sites.0.cameras.0.covers (sites.yaml:11:');
    expect(bad.err).toContain('no door Back door in this site');
  });
});
