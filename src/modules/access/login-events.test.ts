import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AccountImportResult } from './accounts.service.ts';
import { addGrant, addPerson, addSystem } from './accounts.test-data.ts';
import type { LoginEventView, LoginImportResult } from './login-events.ts';

/**
 * Login events into the audit log (issue 6 item 3; P11), on both databases: sshd auth-log lines in RFC 3164 and RFC
 * 5424, control-panel JSON lines, lines that are no login (ignored), malformed ones (rejected by line number),
 * idempotence, the account's last use, and signals for a leaver's login and a login without a grant.
 */
describe.each(DIALECTS)('login events ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let headers: { authorization: string };
  let db: TestApp['database']['db'];
  let web1: string;
  let panel: string;
  let dave: string;

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_TIME_ZONE: 'Europe/Copenhagen' } });
    t.manualClock?.set('2026-11-27T12:00:00.000Z');
    db = t.database.db;
    headers = (await createUserWithToken(t, 'security-officer', { scopes: ['access.read', 'access.import'] })).headers;
    web1 = await addSystem(db, 'web1');
    panel = await addSystem(db, 'panel', 'customer');
    const alice = await addPerson(db, 'Alice Admin', { identifiers: ['alice'] });
    dave = await addPerson(db, 'Dave Departed', { identifiers: ['dave'], leftAt: '2026-10-01T00:00:00.000Z' });
    await addGrant(db, alice, web1);
    await addGrant(db, alice, panel);
  }, 60_000);
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  /** web1's accounts with their last use, by name. */
  const lastUses = () =>
    db
      .selectFrom('access_accounts')
      .select(['account', 'last_used_at'])
      .where('system_id', '=', web1)
      .orderBy('account')
      .execute();

  const post = (url: string, payload: string, contentType = 'text/plain') =>
    t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': contentType }, payload });

  const LOG = [
    'Nov 27 10:00:01 web1 sshd[1234]: Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:abc',
    'Nov 27 10:00:02 web1 CRON[99]: (root) CMD (true)',
    'Nov 27 10:00:03 web1 sshd[1234]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)',
    '<38>1 2026-11-27T10:05:00.000+01:00 web1.example.org sshd 2222 - - Failed password for root from 203.0.113.5 port 4444 ssh2',
    'Nov 27 10:06:00 web1 sshd[3333]: Invalid user admin from 203.0.113.5 port 4445',
    'Nov 27 10:07:00 web1 sshd[3334]: Accepted password for dave from 198.51.100.9 port 40000 ssh2',
    'Nov 27 10:08:00 web1 sshd[3335]: Accepted keyboard-interactive/pam for mallory from 198.51.100.66 port 40001 ssh2',
    'this is no syslog line at all',
    'Nov 27 10:09:00 db9 sshd[1]: Accepted publickey for alice from 192.0.2.10 port 50001 ssh2',
    '{"time":"2026-11-27T10:10:00Z","system":"panel","account":"Alice","ip":"198.51.100.7","outcome":"success","method":"password+totp"}',
    '{"time":"yesterday","system":"panel","account":"alice","outcome":"success"}',
    '{"time":"2026-11-27T10:11:00Z","system":"panel","account":"alice","ip":"198.51.100.7","outcome":"failed"',
    '',
  ].join('\n');

  it.skipIf(skip)(
    'records sshd and control-panel logins, counts other lines as ignored, rejects malformed ones by line',
    async () => {
      await post(`/api/v1/access/systems/${web1}/accounts/import`, 'account,name\nalice,Alice\ndave,Dave\n');
      const res = await post('/api/v1/access/login-events/import', LOG);
      expect(res.statusCode).toBe(201);
      const r = res.json<LoginImportResult>();
      expect(r).toMatchObject({ lines: 12, recorded: 6, succeeded: 4, failed: 2, duplicates: 0, ignored: 2 });
      expect(r.rejected.map((x) => x.line)).toEqual([8, 9, 11, 12]);
      expect(r.rejected[1]?.reason).toBe('no system named "db9"');
      expect(r.rejected[2]?.reason).toMatch(/^time:/);

      const events = (await t.app.inject({ method: 'GET', url: '/api/v1/access/login-events', headers })).json<{
        items: LoginEventView[];
      }>().items;
      expect(events.map((e) => [e.systemName, e.account, e.outcome, e.method, e.occurredAt, e.ip])).toEqual([
        ['panel', 'alice', 'succeeded', 'password+totp', '2026-11-27T10:10:00.000Z', '198.51.100.7'],
        ['web1', 'mallory', 'succeeded', 'keyboard-interactive/pam', '2026-11-27T09:08:00.000Z', '198.51.100.66'],
        ['web1', 'dave', 'succeeded', 'password', '2026-11-27T09:07:00.000Z', '198.51.100.9'],
        ['web1', 'admin', 'failed', 'invalid-user', '2026-11-27T09:06:00.000Z', '203.0.113.5'],
        ['web1', 'root', 'failed', 'password', '2026-11-27T09:05:00.000Z', '203.0.113.5'],
        ['web1', 'alice', 'succeeded', 'publickey', '2026-11-27T09:00:01.000Z', '192.0.2.10'],
      ]);
      const failedOnly = (
        await t.app.inject({ method: 'GET', url: `/api/v1/access/login-events?system=${web1}&outcome=failed`, headers })
      ).json<{ items: LoginEventView[] }>().items;
      expect(failedOnly.map((e) => e.account)).toEqual(['admin', 'root']);
    },
  );

  it.skipIf(skip)('each event is an external access event in the audit log, pointing back from the event', async () => {
    await t.audit.sink.flush();
    const rows = await db
      .selectFrom('audit_entries')
      .select(['seq', 'actor', 'action', 'outcome', 'entry'])
      .where('action', 'in', ['access.login.succeeded', 'access.login.failed'])
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => [r.actor, r.action, r.outcome])).toEqual([
      ['external:web1:alice', 'access.login.succeeded', 'allowed'],
      ['external:web1:root', 'access.login.failed', 'denied'],
      ['external:web1:admin', 'access.login.failed', 'denied'],
      ['external:web1:dave', 'access.login.succeeded', 'allowed'],
      ['external:web1:mallory', 'access.login.succeeded', 'allowed'],
      ['external:panel:alice', 'access.login.succeeded', 'allowed'],
    ]);
    const first = JSON.parse(rows[0]?.entry ?? '{}') as { ip?: string; detail?: Record<string, unknown> };
    expect(first.ip).toBe('192.0.2.10');
    expect(first.detail).toMatchObject({
      external: true,
      source: 'sshd',
      method: 'publickey',
      occurredAt: '2026-11-27T09:00:01.000Z',
    });
    const ev = await db
      .selectFrom('access_login_events')
      .select('audit_seq')
      .where('account', '=', 'alice')
      .where('system_id', '=', web1)
      .executeTakeFirst();
    expect(ev?.audit_seq).toBe(rows[0]?.seq);
  });

  it.skipIf(skip)('a successful login moves the account’s last use forward', async () => {
    expect(await lastUses()).toEqual([
      { account: 'alice', last_used_at: '2026-11-27T09:00:01.000Z' },
      { account: 'dave', last_used_at: '2026-11-27T09:07:00.000Z' },
    ]);
  });

  it.skipIf(skip)('a leaver’s login and a login without a grant raise signals', async () => {
    const sig = (key: string) =>
      db.selectFrom('incidents_signals').select(['summary', 'severity']).where('dedup_key', '=', key).execute();
    const leaver = await sig(`access:leaver-login:${dave}`);
    expect(leaver).toHaveLength(1);
    expect(leaver[0]?.summary).toMatch(
      /^Dave Departed, who has left, logged in 1 time\(s\): dave on web1 at 2026-11-27T09:07:00.000Z from 198.51.100.9/,
    );
    const ungranted = await sig(`access:login-ungranted:${web1}`);
    expect(ungranted).toHaveLength(1);
    expect(ungranted[0]?.summary).toBe('logins without a grant on web1: mallory');
    // alice is granted on both systems: no signal for the panel.
    expect(await sig(`access:login-ungranted:${panel}`)).toHaveLength(0);
  });

  it.skipIf(skip)('the same lines twice record nothing new; ?system= names the system of host-less lines', async () => {
    const before = await db.selectFrom('audit_entries').select('seq').execute();
    const again = await post('/api/v1/access/login-events/import', LOG, 'application/x-ndjson');
    expect(again.statusCode).toBe(200);
    expect(again.json<LoginImportResult>()).toMatchObject({ recorded: 0, duplicates: 6, ignored: 2 });
    await t.audit.sink.flush();
    // Only the import request's own audit record was added.
    expect((await db.selectFrom('audit_entries').select('seq').execute()).length).toBe(before.length + 1);
    const hostless = 'Nov 27 11:00:00 sshd[5]: Accepted publickey for alice from 192.0.2.10 port 1 ssh2';
    const refused = await post('/api/v1/access/login-events/import', hostless);
    expect(refused.json<LoginImportResult>().rejected).toEqual([
      { line: 1, reason: 'the line names no host: pass ?system=<id>' },
    ]);
    const ok = await post(`/api/v1/access/login-events/import?system=${web1}`, hostless);
    expect(ok.json<LoginImportResult>()).toMatchObject({ recorded: 1, rejected: [] });
    const acc = await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${web1}/accounts`, headers });
    expect(acc.json<{ items: { account: string; lastUsedAt: string }[] }>().items[0]).toMatchObject({
      account: 'alice',
      lastUsedAt: '2026-11-27T10:00:00.000Z',
    });
  });

  it.skipIf(skip)('refuses a body that is not text', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/login-events/import',
      headers,
      payload: { lines: ['x'] },
    });
    expect(res.statusCode).toBe(400);
    const none = await post(`/api/v1/access/systems/${web1}/accounts/import`, 'account\nalice\n');
    expect(none.json<AccountImportResult>().gone).toEqual(['dave']);
  });

  it.skipIf(skip)('an account listed after its logins were recorded takes its last use from them', async () => {
    // mallory logged in at 09:08 before any list named the account; dave's list date is older than his 09:07 login,
    // alice's is newer than hers.
    const res = await post(
      `/api/v1/access/systems/${web1}/accounts/import`,
      'account,name,last_login\nalice,Alice,2026-11-27T11:00:00Z\ndave,Dave,2026-11-20\nmallory,Mallory,\n',
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(await lastUses()).toEqual([
      { account: 'alice', last_used_at: '2026-11-27T11:00:00.000Z' },
      { account: 'dave', last_used_at: '2026-11-27T09:07:00.000Z' },
      { account: 'mallory', last_used_at: '2026-11-27T09:08:00.000Z' },
    ]);
  });
});
