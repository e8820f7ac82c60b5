import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { applySetup } from './apply.command.ts';
import { type CliServer, SPAWNING, startCliServer } from './cli-server.test-harness.ts';
import type { Kind, SetupFile } from './setup-file.ts';

describe('skjold apply / export against a running server (SQLite)', () => {
  let cli: CliServer;
  // Names the tests below use, bound once the server is up.
  let root = '';
  let dataDir = '';
  let url = '';
  let token = '';
  let fingerprint = '';
  const file = (name: string, text: string) => cli.file(name, text);
  const run = (args: string[], env?: Record<string, string>, cwd?: string) => cli.run(args, env, cwd);

  beforeAll(async () => {
    cli = await startCliServer('skjold-apply-');
    ({ root, dataDir, url, token, fingerprint } = cli);
  }, 120_000);
  afterAll(async () => {
    await cli?.stop();
  });

  const setup = (interval: number) =>
    [
      '# Our on-call set-up',
      'channels:',
      '  - name: ops-hook',
      '    config:',
      '      kind: webhook',
      '      url: https://hooks.example.org/skjold',
      '      secret: a-webhook-secret-of-some-length',
      'escalationPolicies:',
      '  - name: Default',
      '    isDefault: true',
      '    levels:',
      '      - targets: [{ schedule: Ops }, { channel: ops-hook }]',
      '        escalateAfterSeconds: 300',
      '      - targets: [{ user: root }]',
      'schedules:',
      '  - name: Ops',
      '    timeZone: Europe/Copenhagen',
      '    layers:',
      '      - name: Primary',
      '        users: [root]',
      '        rotation: weekly',
      '        handoffTime: "09:00"',
      '        startDate: 2026-01-05',
      'monitors:',
      '  - type: heartbeat',
      '    name: nightly backup',
      `    intervalSeconds: ${interval}`,
      '  - type: tcp',
      '    name: ssh',
      '    host: 127.0.0.1',
      '    port: 1',
      '',
    ].join('\n');

  it('creates, then leaves alone, then updates, and an export applies back unchanged', SPAWNING, async () => {
    const f = file('setup.yaml', setup(3600));
    const first = await run(['apply', '-f', f]);
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.split('\n');
    expect(lines.filter((l) => !l.startsWith('  '))).toEqual([
      'created channel ops-hook',
      'created schedule Ops',
      'created escalation policy Default',
      'created monitor nightly backup',
      'created monitor ssh',
      '5 created, 0 updated, 0 unchanged',
      '',
    ]);
    expect(first.stdout).toContain(`  heartbeat URL (shown once): ${url}/api/v1/heartbeat/hb_`);

    const again = await run(['apply', '-f', f]);
    expect([again.code, again.stdout]).toEqual([
      0,
      'unchanged channel ops-hook\nunchanged schedule Ops\nunchanged escalation policy Default\nunchanged monitor nightly backup\nunchanged monitor ssh\n0 created, 0 updated, 5 unchanged\n',
    ]);

    const edited = await run(['apply', '-f', file('setup.yaml', setup(1800))]);
    expect([edited.code, edited.stdout]).toEqual([
      0,
      'unchanged channel ops-hook\nunchanged schedule Ops\nunchanged escalation policy Default\nupdated monitor nightly backup\nunchanged monitor ssh\n0 created, 1 updated, 4 unchanged\n',
    ]);

    const out = join(root, 'exported.yaml');
    const exp = await run(['export', '--out', out, '--fingerprint', fingerprint.replace(/:/g, '').toLowerCase()]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stderr).toMatch(/wrote .*exported\.yaml: .*1 schedules.*2 monitors/);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# Skjold set-up exported from https:\/\/127\.0\.0\.1:\d+ at \d{4}-\d\d-\d\dT/);
    expect(text).toContain('users:\n          - root\n');
    // Secret fields never leave the server; applying the export keeps the stored secret.
    expect(text).not.toContain('a-webhook-secret-of-some-length');
    expect(text.indexOf('name: nightly backup')).toBeLessThan(text.indexOf('name: ssh'));
    const back = await run(['apply', '-f', out]);
    expect([back.code, back.stdout]).toEqual([
      0,
      'unchanged channel ops-hook\nunchanged schedule Ops\nunchanged escalation policy Default\nunchanged monitor nightly backup\nunchanged monitor ssh\n0 created, 0 updated, 5 unchanged\n',
    ]);

    const onlyMonitors = await run(['export', '--kinds', 'monitors']);
    expect(onlyMonitors.code, onlyMonitors.stderr).toBe(0);
    expect(onlyMonitors.stdout).toContain('monitors:\n');
    expect(onlyMonitors.stdout).not.toContain('schedules:');

    const dry = await run(['apply', '-f', out, '--dry-run'], {});
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`POST ${url}/api/v1/oncall/schedules/apply (1 schedules)\n  schedule Ops\n`);
    expect(dry.stdout).toContain('dry run: the file is well-formed; 5 items would be sent, nothing was\n');
  });

  it('rejects broken files and refused items with the file line, and exits 1', SPAWNING, async () => {
    const yaml = await run(['apply', '-f', file('bad.yaml', 'monitors:\n  - name: a\n    type: [heartbeat\n')]);
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toMatch(/^skjold: \S+bad\.yaml:\d+:\d+: /);

    const kind = await run(['apply', '-f', file('kind.yaml', 'monitors: []\npagers:\n  - name: a\n')]);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toMatch(/kind\.yaml:2:1: unknown kind "pagers"/);

    const monitor = await run(['apply', '-f', file('monitor.yaml', setup(5))]);
    expect(monitor.code).toBe(1);
    expect(monitor.stderr).toMatch(
      /failed monitor nightly backup\n {2}monitors\.0\.intervalSeconds \(\S+monitor\.yaml:27:22\): the interval is at least 10 seconds\n/,
    );
    expect(monitor.stderr).toContain('1 failed');

    const ghost = await run(['apply', '-f', file('ghost.yaml', setup(3600).replace('users: [root]', 'users: [root, ghost]'))]);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/schedules: Invalid request: every person on a schedule must be an existing user\n/);
    expect(ghost.stderr).toMatch(/ {2}body\.schedules\.0\.layers\.0\.users\.1 \(\S+ghost\.yaml:20:23\): no user ghost\n/);
    expect(ghost.stderr).toContain('none of the 1 schedules was applied');
    expect(ghost.stderr).toContain('stopped before escalationPolicies, monitors');
  });

  it('refuses an untrusted or wrongly pinned certificate and a missing token before sending anything', SPAWNING, async () => {
    const f = file('setup.yaml', setup(3600));
    const wrong = await run(['apply', '-f', f, '--fingerprint', `AA:${fingerprint.slice(3)}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the TLS connection to https:\/\/127\.0\.0\.1:\d+: .*not the pinned AA:/);

    const elsewhere = mkdtempSync(join(tmpdir(), 'skjold-elsewhere-'));
    const untrusted = await run(['export'], { SKJOLD_TOKEN: token }, elsewhere);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/refused the TLS connection .*self-signed.*--ca FILE or --fingerprint/);
    const viaCa = await run(['export', '--ca', join(dataDir, 'tls-cert.pem')], { SKJOLD_TOKEN: token }, elsewhere);
    expect(viaCa.code, viaCa.stderr).toBe(0);

    const noToken = await run(['apply', '-f', f], {});
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/set SKJOLD_TOKEN to an API token .*never from a flag/);
    const plain = await run(['export', '--server', url.replace('https', 'http')]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('HTTPS only');

    const badToken = await run(['export', '--kinds', 'monitors'], { SKJOLD_TOKEN: 'skj_nope' });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^monitors: Authentication required: /);
  });

  it('says clearly when the server has no endpoint for a kind', async () => {
    // A kind this server has no route for, through the same table-driven path as the real ones.
    const pagers = { key: 'pagers', one: 'pager', path: '/api/v1/pagers' } as unknown as Kind;
    const setupFile: SetupFile = { kinds: [{ kind: pagers, items: [{ name: 'a' }] }], where: () => 'f.yaml' };
    const client = new ApiClient({ server: url, fingerprint }, token);
    let out = '';
    let err = '';
    const code = await applySetup(
      setupFile,
      client,
      (s) => (out += s),
      (s) => (err += s),
    );
    expect([code, out]).toEqual([1, '']);
    expect(err).toContain('this server does not support pagers (no /api/v1/pagers/apply): nothing of it was applied\n');
  });
  it(
    'bans, lists and unbans an address with `skjold threats`, and says clearly when there is nothing to unban',
    SPAWNING,
    async () => {
      const ban = await run(['threats', 'ban', '192.0.2.77', '--reason', 'scanning the panel', '--duration', '2h']);
      expect(ban.code, ban.stderr).toBe(0);
      expect(ban.stdout).toMatch(/^banned 192\.0\.2\.77 until \d{4}-/);
      const badDuration = await run(['threats', 'ban', '192.0.2.78', '--reason', 'x', '--duration', 'forever']);
      expect(badDuration.code).toBe(1);
      expect(badDuration.stderr).toContain('--duration takes e.g. 90m, 4h or 7d');
      const list = await run(['threats', 'decisions', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([
        expect.objectContaining({ value: '192.0.2.77', origin: 'manual', scenario: 'manual' }),
      ]);
      const unban = await run(['threats', 'unban', '192.0.2.77']);
      expect(unban.code, unban.stderr).toBe(0);
      expect(unban.stdout).toBe('unbanned 192.0.2.77 (1 decision ended)\n');
      const again = await run(['threats', 'unban', '192.0.2.77']);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe('no active decision on 192.0.2.77\n');
      const bad = await run(['threats', 'ban', 'not-an-ip', '--reason', 'typo here']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('not an IP address or CIDR network');
    },
  );
});
