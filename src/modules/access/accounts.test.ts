import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AccountImportResult, AccountView, TaskView } from './accounts.service.ts';
import { addGrant, addPerson, addSystem } from './accounts.test-data.ts';

/**
 * Imported account lists compared with grants (issue 6 items 3 and 9), through the API on both databases: per-row
 * validation with line numbers, the list as the system's complete list, idempotence, discrepancies and their signals,
 * removal tasks closed by the next import, audit records.
 */
describe.each(DIALECTS)('imported accounts ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let headers: { authorization: string };
  let web1: string;
  let db: TestApp['database']['db'];
  let alice: string;
  let bob: string;
  let dave: string;

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ACCESS_MAX_IMPORT_BYTES: '65536' } });
    t.manualClock?.set('2026-11-27T12:00:00.000Z');
    db = t.database.db;
    headers = (await createUserWithToken(t, 'security-officer', { scopes: ['access.read', 'access.import', 'access.write'] }))
      .headers;
    web1 = await addSystem(db, 'web1');
    alice = await addPerson(db, 'Alice Admin', { email: 'alice@example.org', identifiers: ['alice', 'adm-alice'] });
    bob = await addPerson(db, 'Bob Builder', { email: 'bob@example.org', identifiers: ['bob'] });
    dave = await addPerson(db, 'Dave Departed', { identifiers: ['dave'], leftAt: '2026-10-01T00:00:00.000Z' });
    await addGrant(db, alice, web1, { level: 'root', privileged: true });
    await addGrant(db, bob, web1);
  }, 60_000);
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const post = (url: string, payload: unknown, contentType = 'text/plain') =>
    t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': contentType }, payload: payload as string });
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers });
  const accountsOf = async (systemId: string, gone = false) =>
    (await get(`/api/v1/access/systems/${systemId}/accounts${gone ? '?gone=true' : ''}`)).json<{ items: AccountView[] }>().items;
  const lastSignal = (key: string) =>
    db
      .selectFrom('incidents_signals')
      .select(['status', 'summary'])
      .where('dedup_key', '=', key)
      .orderBy('received_at', 'desc')
      .orderBy('id')
      .executeTakeFirst();
  const incident = (key: string) =>
    db
      .selectFrom('incidents_incidents')
      .select(['state', 'summary', 'severity'])
      .where('dedup_key', '=', key)
      .orderBy('opened_at', 'desc')
      .executeTakeFirst();

  const CSV = [
    'Username,Display Name,Mail,Admin,Last Login,Disabled',
    'alice,Alice Admin,alice@example.org,yes,2026-11-20T08:00:00Z,no',
    'bob,Bob Builder,,no,2026-11-01,',
    'carol,Carol Unknown,,no,,no',
    'dave,Dave Departed,,no,never,no',
    'bob,Bob Again,,no,,',
    'erin,Erin,,maybe,,',
    'frank,Frank,,no,31/12/2025,no',
    'gina,"Gina, unterminated,no,,',
    '',
  ].join('\n');

  it.skipIf(skip)('imports a CSV list: good rows stored and matched, every bad row reported with its line', async () => {
    const res = await post(`/api/v1/access/systems/${web1}/accounts/import`, CSV);
    expect(res.statusCode).toBe(201);
    const r = res.json<AccountImportResult>();
    expect(r.status).toBe('applied');
    expect(r.rows.map((x) => [x.line, x.account, x.status])).toEqual([
      [2, 'alice', 'added'],
      [3, 'bob', 'added'],
      [4, 'carol', 'added'],
      [5, 'dave', 'added'],
    ]);
    expect(r.rejected.map((x) => x.line)).toEqual([6, 7, 8, 9]);
    expect(r.rejected[0]?.reason).toMatch(/listed twice \(first at line 3\)/);
    expect(r.rejected[1]?.reason).toMatch(/admin|privileged/i);
    expect(r.rejected[2]?.reason).toMatch(/not a date/);
    expect(r.counts).toMatchObject({ rows: 8, added: 4, rejected: 4, gone: 0 });

    const list = await accountsOf(web1);
    const by = new Map(list.map((a) => [a.account, a]));
    expect(by.get('alice')).toMatchObject({
      person: { id: alice },
      privileged: true,
      lastUsedAt: '2026-11-20T08:00:00.000Z',
      discrepancy: null,
      grant: { level: 'root', privileged: true },
    });
    expect(by.get('bob')).toMatchObject({ person: { id: bob }, discrepancy: null, lastUsedAt: '2026-11-01T00:00:00.000Z' });
    expect(by.get('carol')).toMatchObject({ person: null, discrepancy: 'orphaned' });
    expect(by.get('dave')).toMatchObject({ person: { id: dave }, discrepancy: 'leaver', lastUsedAt: null });

    // The import is audited in its transaction with what it added.
    await t.audit.sink.flush();
    const entries = await db
      .selectFrom('audit_entries')
      .select(['entry', 'action'])
      .where('action', '=', 'access.accounts.import')
      .execute();
    expect(entries).toHaveLength(1);
    const entry = JSON.parse(entries[0]?.entry ?? '{}') as { changes?: { type: string }[]; detail?: Record<string, unknown> };
    expect(entry.changes?.filter((c) => c.type === 'access-account')).toHaveLength(4);
    expect(entry.detail).toMatchObject({ status: 'applied', added: 4, rejected: 4 });
  });

  it.skipIf(skip)('raises one incident per system for accounts without a grant, and one per leaver', async () => {
    const ungranted = await incident(`access:ungranted:${web1}`);
    expect(ungranted?.state).not.toBe('resolved');
    expect(ungranted?.summary).toContain('carol (orphaned)');
    expect(ungranted?.severity).toBe('major');
    const leaver = await incident(`access:leaver:${dave}`);
    expect(leaver?.summary).toMatch(/Dave Departed has left but still holds 1 account/);
    const d = (await get('/api/v1/access/discrepancies')).json<{ items: AccountView[] }>().items;
    expect(d.map((a) => `${a.account}:${a.discrepancy}`).sort()).toEqual(['carol:orphaned', 'dave:leaver']);
  });

  it.skipIf(skip)('the same file twice changes nothing and answers unchanged (still naming its bad rows)', async () => {
    const before = await db.selectFrom('access_accounts').selectAll().orderBy('account').execute();
    const signals = await db.selectFrom('incidents_signals').select('id').execute();
    const res = await post(`/api/v1/access/systems/${web1}/accounts/import`, CSV);
    expect(res.statusCode).toBe(200);
    const r = res.json<AccountImportResult>();
    expect(r.status).toBe('unchanged');
    expect(r.rejected.map((x) => x.line)).toEqual([6, 7, 8, 9]);
    expect(await db.selectFrom('access_accounts').selectAll().orderBy('account').execute()).toEqual(before);
    expect(await db.selectFrom('access_account_imports').select('id').execute()).toHaveLength(1);
    expect(await db.selectFrom('incidents_signals').select('id').execute()).toHaveLength(signals.length);
  });

  it.skipIf(skip)(
    'a JSON list is the complete list: absent accounts go, their removal tasks close; bad entries by index',
    async () => {
      // A review revoked dave's access: the reviews area opens a task to remove the account.
      const tasks = await db.transaction().execute((trx) =>
        t.access.accounts.service.openRemovalTask(trx, {
          systemId: web1,
          personId: dave,
          actor: 'system:test',
          reviewEntryId: 'entry-1',
        }),
      );
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ account: 'dave', state: 'open', reviewEntryId: 'entry-1' });
      t.manualClock?.advance(3_600_000);
      const json = [
        {
          username: 'alice',
          name: 'Alice Admin',
          email: 'alice@example.org',
          privileged: true,
          last_login: '2026-11-20T08:00:00Z',
        },
        { account: 'bob', name: 'Bob Builder', privileged: 'no', disabled: false },
        { account: 'carol', name: 'Carol Unknown', groups: ['staff'] },
        'not an object',
        { account: '', name: 'nobody' },
        { account: 'henry', email: 'not-an-email' },
      ];
      const res = await post(`/api/v1/access/systems/${web1}/accounts/import`, JSON.stringify(json), 'application/json');
      expect(res.statusCode).toBe(201);
      const r = res.json<AccountImportResult>();
      expect(r.rows.map((x) => [x.index, x.account, x.status])).toEqual([
        [0, 'alice', 'unchanged'],
        [1, 'bob', 'unchanged'],
        [2, 'carol', 'updated'],
      ]);
      expect(r.rejected).toEqual([
        { index: 3, reason: 'the entry is not an object' },
        { index: 4, reason: 'account is empty' },
        { index: 5, account: 'henry', reason: 'email "not-an-email" is not an e-mail address' },
      ]);
      expect(r.gone).toEqual(['dave']);
      expect(r.tasksClosed).toEqual([tasks[0]?.id]);
      const done = (await get('/api/v1/access/tasks?state=done')).json<{ items: TaskView[] }>().items;
      expect(done[0]).toMatchObject({
        id: tasks[0]?.id,
        state: 'done',
        closedReason: `the import of 2026-11-27T13:00:00.000Z no longer lists the account`,
      });
      const gone = (await accountsOf(web1, true)).find((a) => a.account === 'dave');
      expect(gone).toMatchObject({ goneAt: '2026-11-27T13:00:00.000Z', discrepancy: null });
      // The leaver holds nothing any more: the leaver incident resolves.
      expect((await incident(`access:leaver:${dave}`))?.state).toBe('resolved');
    },
  );

  it.skipIf(skip)('a row that cannot be read keeps its account as it was (not marked gone)', async () => {
    const res = await post(
      `/api/v1/access/systems/${web1}/accounts/import`,
      'account,name,privileged\nalice,Alice,yes\nbob,Bob,no\ncarol,Carol,perhaps\n',
    );
    const r = res.json<AccountImportResult>();
    expect(r.rejected).toEqual([{ line: 4, account: 'carol', reason: expect.stringMatching(/privileged/) as unknown }]);
    expect(r.gone).toEqual([]);
    expect((await accountsOf(web1)).map((a) => a.account)).toEqual(['alice', 'bob', 'carol']);
  });

  it.skipIf(skip)('a new grant resolves the ungranted finding at the next sweep', async () => {
    const carol = await addPerson(db, 'Carol Contractor', { identifiers: ['carol'] });
    await t.access.sweep();
    expect((await accountsOf(web1)).find((a) => a.account === 'carol')).toMatchObject({
      person: { id: carol },
      discrepancy: 'ungranted',
    });
    expect((await lastSignal(`access:ungranted:${web1}`))?.summary).toContain('carol (ungranted)');
    await addGrant(db, carol, web1);
    await t.access.sweep();
    expect((await accountsOf(web1)).find((a) => a.account === 'carol')?.discrepancy).toBeNull();
    expect((await incident(`access:ungranted:${web1}`))?.state).toBe('resolved');
    // A privileged account without a privileged grant is excessive.
    const res = await post(
      `/api/v1/access/systems/${web1}/accounts/import`,
      'account,name,privileged\nalice,Alice,yes\nbob,Bob,yes\ncarol,Carol,no\n',
    );
    expect(res.statusCode).toBe(201);
    expect((await accountsOf(web1)).find((a) => a.account === 'bob')?.discrepancy).toBe('excessive');
  });

  it.skipIf(skip)('tasks close by hand with a reason (audited), once', async () => {
    const [task] = await db
      .transaction()
      .execute((trx) =>
        t.access.accounts.service.openRemovalTask(trx, { systemId: web1, personId: bob, account: 'bob', actor: 'system:test' }),
      );
    const close = (reason: string) =>
      post(`/api/v1/access/tasks/${task?.id}/close`, JSON.stringify({ reason }), 'application/json');
    const res = await close('removed by hand, ticket OPS-7');
    expect(res.statusCode).toBe(200);
    expect(res.json<TaskView>()).toMatchObject({ state: 'done', closedReason: 'removed by hand, ticket OPS-7' });
    expect((await close('again')).json<{ code: string }>().code).toBe('access_task_closed');
    await t.audit.sink.flush();
    const e = await db
      .selectFrom('audit_entries')
      .select(['target', 'outcome'])
      .where('action', '=', 'access.task.close')
      .execute();
    expect(e).toEqual([
      { target: `access-task:${task?.id}`, outcome: 'allowed' },
      { target: null, outcome: 'failed' },
    ]);
  });

  it.skipIf(skip)('an orphaned account gets a removal task without a person; the next import without it closes it', async () => {
    const web2 = await addSystem(db, 'web2', 'other');
    const imp = (csv: string) => post(`/api/v1/access/systems/${web2}/accounts/import`, csv);
    expect((await imp('account\nzed\nalice\n')).statusCode).toBe(201);
    const open = (input: { account?: string; personId?: string | null }) =>
      db
        .transaction()
        .execute((trx) => t.access.accounts.service.openRemovalTask(trx, { systemId: web2, actor: 'system:test', ...input }));
    const [task] = await open({ account: 'ZED', personId: '' });
    expect(task).toMatchObject({ account: 'zed', personId: null, state: 'open' });
    // Opening it again reuses the open task.
    expect((await open({ account: 'zed', personId: null }))[0]?.id).toBe(task?.id);
    await expect(open({})).rejects.toMatchObject({ code: 'access_removal_target_missing' });
    // A system whose classification is `other` raises its finding as minor.
    expect((await incident(`access:ungranted:${web2}`))?.severity).toBe('minor');
    // A minute later (signals are ordered by the time they were received).
    t.manualClock?.advance(60_000);
    const r = (await imp('account\nalice\n')).json<AccountImportResult>();
    expect(r.tasksClosed).toEqual([task?.id]);
    // alice has no grant on web2: the finding stays, now naming only her.
    expect((await lastSignal(`access:ungranted:${web2}`))?.summary).toBe(
      '1 account(s) on web2 without a matching grant: alice (ungranted)',
    );
  });

  it.skipIf(skip)('refuses unreadable lists, unknown systems and bodies over the import limit', async () => {
    const none = await post(`/api/v1/access/systems/${web1}/accounts/import`, 'name,mail\nx,y\n');
    expect(none.statusCode).toBe(400);
    expect(none.json<{ code: string; detail: string }>()).toMatchObject({ code: 'access_import_unreadable' });
    const obj = await post(`/api/v1/access/systems/${web1}/accounts/import`, '{"account":"x"}', 'application/json');
    expect(obj.statusCode).toBe(400);
    const unknown = await post(`/api/v1/access/systems/00000000-0000-4000-8000-000000000000/accounts/import`, 'account\nx\n');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ code: string }>().code).toBe('access_system_not_found');
    const badId = await post(`/api/v1/access/systems/nope/accounts/import`, 'account\nx\n');
    expect(badId.statusCode).toBe(400);
    const big = await post(
      `/api/v1/access/systems/${web1}/accounts/import`,
      `account\n${'x'.repeat(100)}\n`.repeat(700),
      'text/csv',
    );
    expect(big.statusCode).toBe(413);
    expect(big.json<{ code: string }>().code).toBe('access_import_too_large');
  });
});
