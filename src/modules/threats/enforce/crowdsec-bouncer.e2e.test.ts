import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnforceTestApp, type EnforceTestApp } from './enforce.test-app.ts';

/**
 * Debian's `crowdsec-custom-bouncer` (CrowdSec's own bouncer, unchanged) pointed at a real HTTPS Skjold: what it hands
 * its script is what a firewall would enforce. SQLite only: the stream's storage semantics run on both databases in
 * bouncer-api.test.ts; this test is about the wire protocol as a real bouncer speaks it.
 */
const BOUNCER = '/usr/bin/crowdsec-custom-bouncer';
const missing = existsSync(BOUNCER) ? null : `${BOUNCER} is not installed (apt-get install crowdsec-custom-bouncer)`;
if (missing) console.warn(`\n*** ${missing}: the CrowdSec bouncer end-to-end test is SKIPPED ***\n`);

describe.skipIf(missing !== null)('Debian’s crowdsec-custom-bouncer enforces Skjold’s decisions', () => {
  let e: EnforceTestApp;
  let dir: string;
  let out: string;
  let proc: ChildProcess | undefined;
  let stderr = '';

  beforeAll(async () => {
    e = await createEnforceTestApp('sqlite', { tls: true });
    const port = await e.t.listen();
    dir = mkdtempSync(join(tmpdir(), 'skjold-bouncer-'));
    out = join(dir, 'calls.log');
    const script = join(dir, 'enforce.sh');
    // One line per call: `add|del <value> <seconds> <scenario> <decision JSON>`.
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${out}'\n`);
    chmodSync(script, 0o755);
    const key = (await e.bouncer('custom-e2e')).apiKey;
    // Present before the bouncer starts: it must arrive with the startup pull.
    await e.ban('203.0.113.7', { durationSeconds: 3600 });
    const config = join(dir, 'bouncer.yaml');
    writeFileSync(
      config,
      [
        `bin_path: ${script}`,
        'feed_via_stdin: false',
        'total_retries: 0',
        'scenarios_containing: []',
        'scenarios_not_containing: []',
        'origins: []',
        `piddir: ${dir}/`,
        'update_frequency: 1s',
        'cache_retention_duration: 10s',
        'daemonize: false',
        'log_mode: file',
        `log_dir: ${dir}/`,
        'log_level: info',
        `api_url: https://127.0.0.1:${port}/api/crowdsec/`,
        `api_key: ${key}`,
        'insecure_skip_verify: true',
        'prometheus:',
        '  enabled: false',
        '  listen_addr: 127.0.0.1',
        '  listen_port: 0',
        '',
      ].join('\n'),
    );
    // Its own process group, so the bouncer and any script it runs are stopped together.
    proc = spawn(BOUNCER, ['-c', config], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  });

  afterAll(async () => {
    if (proc?.pid !== undefined && proc.exitCode === null) {
      const exited = new Promise((r) => proc?.once('exit', r));
      process.kill(-proc.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid, 'SIGKILL');
    }
    await e?.t.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const calls = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);

  /** Wait (bounded) until the script has been called with a line starting with `prefix`. */
  async function waitForCall(prefix: string, limitMs = 20_000): Promise<string> {
    const until = Date.now() + limitMs;
    for (;;) {
      const hit = calls().find((l) => l.startsWith(prefix));
      if (hit) return hit;
      if (Date.now() > until || proc?.exitCode !== null)
        throw new Error(
          `no "${prefix}" call; calls: ${JSON.stringify(calls())}; bouncer stderr: ${stderr.slice(0, 2000)}; log: ${bouncerLog()}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const bouncerLog = () => {
    const f = join(dir, 'crowdsec-custom-bouncer.log');
    return existsSync(f) ? readFileSync(f, 'utf8').slice(-2000) : '(no log)';
  };

  it('adds the decisions present at startup, with seconds left, scenario and CrowdSec JSON', async () => {
    const line = await waitForCall('add 203.0.113.7 ');
    const [, value, seconds, scenario, ...json] = line.split(' ');
    expect(value).toBe('203.0.113.7');
    expect(Number(seconds)).toBeGreaterThan(3500);
    expect(Number(seconds)).toBeLessThanOrEqual(3600);
    expect(scenario).toBe('skjold/ssh-bruteforce');
    expect(JSON.parse(json.join(' '))).toMatchObject({ value: '203.0.113.7', scope: 'Ip', type: 'ban', origin: 'skjold' });
  });

  it('adds a new ban at its next pull, and deletes it when it is lifted', async () => {
    const d = await e.ban('198.51.100.9', { durationSeconds: 7200, scenario: 'skjold/http-probing' });
    expect(await waitForCall('add 198.51.100.9 ')).toMatch(/^add 198\.51\.100\.9 (71\d\d|7200) skjold\/http-probing \{/);
    await e.unban(d.id);
    expect(await waitForCall('del 198.51.100.9 ')).toMatch(/^del 198\.51\.100\.9 \d+ skjold\/http-probing \{/);
  });

  it('deletes a ban when it expires, and handles IPv6 networks', async () => {
    await e.ban('2001:db8:77::/64', { durationSeconds: 3 });
    await waitForCall('add 2001:db8:77::/64 ');
    const del = await waitForCall('del 2001:db8:77::/64 ');
    expect(JSON.parse(del.split(' ').slice(4).join(' '))).toMatchObject({ scope: 'Range', value: '2001:db8:77::/64' });
    // The ban present from the start was never lifted.
    expect(calls().some((l) => l.startsWith('del 203.0.113.7 '))).toBe(false);
  });
});
