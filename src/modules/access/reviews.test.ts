import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../core/auth.ts';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { CampaignView, EntryView, ReviewPolicyView } from './reviews.service.ts';
import { EVIDENCE_COLUMNS } from './reviews.export.ts';
import { addGrant, addPerson, addSystem } from './accounts.test-data.ts';

const DAY = 86_400_000;

/**
 * Access reviews end to end through the API (issue 6 items 6–7): a campaign freezes its scope, flags each entry,
 * assigns reviewers, refuses self-review, applies each decision's effect in its transaction, reminds, flags overdue and
 * escalates on a manual clock, locks when closed, and exports evidence as CSV and PDF.
 */
describe.each(DIALECTS)('access reviews ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: { authorization: string };
  const now = () => t.clock.now().toISOString();

  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    admin = (await createUserWithToken(t, 'admin')).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const db = () => t.database.db;
  const api = async <T = unknown>(method: 'GET' | 'POST' | 'PUT', url: string, headers: object, payload?: unknown) => {
    const res = await t.app.inject({
      method,
      url,
      headers: headers as Record<string, string>,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    const json = String(res.headers['content-type'] ?? '').includes('json');
    return { status: res.statusCode, body: (json ? (JSON.parse(res.body) as unknown) : res.body) as T, res };
  };

  async function person(name: string, opts: { manager?: string; status?: 'active' | 'left'; role?: Role } = {}) {
    let headers: { authorization: string } | undefined;
    let userId: string | null = null;
    if (opts.role) {
      const u = await createUserWithToken(t, opts.role);
      headers = u.headers;
      userId = u.user.id;
    }
    const id = await addPerson(db(), name, {
      email: `${name.toLowerCase()}@example.org`,
      identifiers: [name.toLowerCase()],
      team: '',
      managerId: opts.manager ?? null,
      status: opts.status ?? 'active',
      leftAt: opts.status === 'left' ? now() : undefined,
      userId,
      at: now(),
    });
    return { id, name, headers: headers ?? { authorization: '' } };
  }

  const system = (name: string, ownerId: string | null) =>
    addSystem(db(), name, 'customer', {
      kind: 'database',
      ownerId,
      levels: [
        { name: 'read', privileged: false },
        { name: 'write', privileged: false },
        { name: 'admin', privileged: true },
      ],
      at: now(),
    });

  const grant = (personId: string, systemId: string, level: string) =>
    addGrant(db(), personId, systemId, {
      level,
      privileged: level === 'admin',
      justification: 'operations',
      startsAt: now(),
      at: now(),
    });

  async function account(systemId: string, name: string, personId: string | null, lastUsedAt: string | null) {
    await db()
      .insertInto('access_accounts')
      .values({
        id: randomUUID(),
        system_id: systemId,
        account: name,
        display_name: name,
        email: null,
        person_id: personId,
        privileged: 0,
        groups: '[]',
        disabled: 0,
        last_used_at: lastUsedAt,
        first_seen_at: new Date(t.clock.now().getTime() - 400 * DAY).toISOString(),
        last_seen_import: null,
        gone_at: null,
        updated_at: now(),
      })
      .execute();
  }

  /** Boss manages Owen, who owns db1 and manages Alice; Bob has left; Carol is privileged-listed, Dave is not. */
  async function world() {
    const boss = await person('Boss', { role: 'operator' });
    const owen = await person('Owen', { manager: boss.id, role: 'operator' });
    const alice = await person('Alice', { manager: owen.id, role: 'operator' });
    const bob = await person('Bob', { manager: owen.id, status: 'left' });
    const carol = await person('Carol', { manager: owen.id });
    const dave = await person('Dave', { manager: owen.id });
    await db()
      .insertInto('access_privileged')
      .values({ person_id: carol.id, reason: 'DBA', added_by: 'system:test', added_at: now() })
      .execute();
    const db1 = await system('db1', owen.id);
    const grants = {
      alice: await grant(alice.id, db1, 'write'),
      bob: await grant(bob.id, db1, 'read'),
      carol: await grant(carol.id, db1, 'admin'),
      dave: await grant(dave.id, db1, 'admin'),
      owen: await grant(owen.id, db1, 'read'),
    };
    // Alice's account unused for 200 days; nobody's account "ghost"; Carol used hers yesterday.
    await account(db1, 'alice', alice.id, new Date(t.clock.now().getTime() - 200 * DAY).toISOString());
    await account(db1, 'carol', carol.id, new Date(t.clock.now().getTime() - DAY).toISOString());
    await account(db1, 'ghost', null, null);
    return { boss, owen, alice, bob, carol, dave, db1, grants };
  }

  async function policy(body: Record<string, unknown> = {}) {
    const r = await api<ReviewPolicyView>('POST', '/api/v1/access/review-policies', admin, {
      name: `half-yearly ${randomUUID().slice(0, 6)}`,
      intervalMonths: 6,
      dueDays: 30,
      remindDays: 7,
      inactiveDays: 90,
      ...body,
    });
    expect(r.status).toBe(201);
    return r.body;
  }
  const start = async (policyId: string) => {
    const r = await api<CampaignView>('POST', `/api/v1/access/review-policies/${policyId}/start`, admin, {});
    expect(r.status).toBe(201);
    return r.body;
  };
  const entries = async (campaignId: string, query = '') =>
    (await api<{ items: EntryView[] }>('GET', `/api/v1/access/campaigns/${campaignId}/entries${query}`, admin)).body.items;
  const byPerson = (list: EntryView[], name: string) => list.find((e) => e.facts.personName === name)!;
  const decide = (entryId: string, headers: object, body: Record<string, unknown>) =>
    api<EntryView & { code?: string }>('POST', `/api/v1/access/review-entries/${entryId}/decision`, headers, body);

  it.skipIf(skip)('freezes the scope: entries are snapshots that later grant changes do not touch', async () => {
    const w = await world();
    const p = await policy();
    const c = await start(p.id);
    expect(c).toMatchObject({ state: 'open', total: 6, decided: 0, overdue: 0 });
    expect(c.scope.targets).toEqual([{ id: w.db1, name: 'db1' }]);
    const before = await entries(c.id);
    // Later: a grant ends, a new one appears, a level changes.
    await db().updateTable('access_grants').set({ state: 'revoked' }).where('id', '=', w.grants.bob).execute();
    await db().updateTable('access_grants').set({ level: 'read' }).where('id', '=', w.grants.alice).execute();
    const erin = await person('Erin', { manager: w.owen.id });
    await grant(erin.id, w.db1, 'read');
    expect(await entries(c.id)).toEqual(before);
    expect(byPerson(before, 'Alice').facts).toMatchObject({ level: 'write', grantId: w.grants.alice, account: 'alice' });
    expect((await api<CampaignView>('GET', `/api/v1/access/campaigns/${c.id}`, admin)).body.total).toBe(6);
  });

  it.skipIf(skip)('flags orphaned, inactive, excessive, leaver, then new and changed against the previous campaign', async () => {
    const w = await world();
    const p = await policy();
    const c1 = await start(p.id);
    const e1 = await entries(c1.id);
    const flags = (name: string | null, list = e1) =>
      (name ? byPerson(list, name) : list.find((e) => e.facts.account === 'ghost')!).flags;
    // ghost was first seen 400 days ago and never used: orphaned and inactive.
    expect(flags(null)).toEqual(['orphaned', 'inactive']);
    expect(flags('Alice')).toEqual(['inactive']);
    expect(flags('Dave')).toEqual(['excessive']);
    expect(flags('Carol')).toEqual([]);
    expect(flags('Bob')).toEqual(['leaver']);
    expect(flags('Owen')).toEqual([]);
    // The first campaign has nothing to compare with: nothing is new or changed.
    expect((await entries(c1.id, '?flag=excessive')).map((e) => e.facts.personName)).toEqual(['Dave']);

    expect((await api('POST', `/api/v1/access/campaigns/${c1.id}/close`, admin, { reason: 'baseline' })).status).toBe(200);
    await db().updateTable('access_grants').set({ level: 'read' }).where('id', '=', w.grants.alice).execute();
    const erin = await person('Erin', { manager: w.owen.id });
    await grant(erin.id, w.db1, 'read');
    const c2 = await start(p.id);
    expect(c2.previousId).toBe(c1.id);
    const e2 = await entries(c2.id);
    expect(flags('Erin', e2)).toEqual(['new']);
    expect(flags('Alice', e2)).toEqual(['inactive', 'changed']);
    expect(flags('Carol', e2)).toEqual([]);
    expect(flags('Dave', e2)).toEqual(['excessive']);
  });

  it.skipIf(skip)(
    "assigns reviewers by rule, never to the person reviewed, and refuses self-review and others' entries",
    async () => {
      const w = await world();
      const owners = await start((await policy({ reviewerRule: 'system-owner' })).id);
      const e = await entries(owners.id);
      expect(byPerson(e, 'Alice').reviewerName).toBe('Owen');
      expect(e.find((x) => x.facts.account === 'ghost')!.reviewerName).toBe('Owen');
      // Owen owns db1 but does not review his own grant: his manager does.
      expect(byPerson(e, 'Owen').reviewerName).toBe('Boss');

      const managers = await start((await policy({ reviewerRule: 'manager' })).id);
      const m = await entries(managers.id);
      expect(byPerson(m, 'Alice').reviewerName).toBe('Owen');
      expect(byPerson(m, 'Owen').reviewerName).toBe('Boss');

      // Owen tries his own entry (even as a campaign manager it would be refused): 403 review_self_refused.
      const self = await decide(byPerson(e, 'Owen').id, w.owen.headers, { decision: 'keep' });
      expect(self.status).toBe(403);
      expect(self.body.code).toBe('review_self_refused');
      // Alice is a reviewer (operator) but Bob's entry is Owen's: 403 review_not_assigned.
      const other = await decide(byPerson(e, 'Bob').id, w.alice.headers, { decision: 'keep' });
      expect(other.status).toBe(403);
      expect(other.body.code).toBe('review_not_assigned');
      // An admin linked to a person cannot review that person's access either.
      const adminUser = await createUserWithToken(t, 'admin');
      await db().updateTable('access_people').set({ user_id: adminUser.user.id }).where('id', '=', w.dave.id).execute();
      const adminSelf = await decide(byPerson(e, 'Dave').id, adminUser.headers, { decision: 'keep' });
      expect(adminSelf.body.code).toBe('review_self_refused');
      // Owen's work list holds what he reviews, not his own entry.
      const mine = await api<{ person: { name: string }; entries: EntryView[] }>(
        'GET',
        '/api/v1/access/reviews/mine',
        w.owen.headers,
      );
      expect(mine.body.person.name).toBe('Owen');
      expect(mine.body.entries.map((x) => x.facts.personName ?? x.facts.account).sort()).toEqual(
        ['Alice', 'Alice', 'Bob', 'Bob', 'Carol', 'Carol', 'Dave', 'Dave', 'ghost', 'ghost'].sort(),
      );
    },
  );

  it.skipIf(skip)('applies each decision with its effect, audited in the same transaction', async () => {
    const w = await world();
    const c = await start((await policy()).id);
    const e = await entries(c.id);

    const keep = await decide(byPerson(e, 'Carol').id, w.owen.headers, { decision: 'keep' });
    expect(keep.status).toBe(200);
    expect(keep.body).toMatchObject({ decision: 'keep', result: {} });
    expect(keep.body.decidedByName).toEqual(expect.any(String));

    // Revoke: the grant ends through the grants service, and a removal task opens for the account.
    const alice = byPerson(e, 'Alice');
    const revoke = await decide(alice.id, w.owen.headers, { decision: 'revoke', reason: 'moved team' });
    expect(revoke.status).toBe(200);
    const g = await db().selectFrom('access_grants').selectAll().where('id', '=', w.grants.alice).executeTakeFirstOrThrow();
    expect(g.state).toBe('revoked');
    const task = await db()
      .selectFrom('access_tasks')
      .selectAll()
      .where('review_entry_id', '=', alice.id)
      .executeTakeFirstOrThrow();
    expect(task).toMatchObject({ kind: 'remove-account', account: 'alice', state: 'open', grant_id: w.grants.alice });
    expect(revoke.body.result).toEqual({ grantEnded: { grantId: w.grants.alice, state: 'revoked' }, removalTaskId: task.id });
    await t.audit.sink.flush();
    const audited = await db()
      .selectFrom('audit_entries')
      .select(['entry', 'action', 'target'])
      .where('action', '=', 'access.review.revoke')
      .executeTakeFirstOrThrow();
    expect(audited.target).toBe(`access_review_entry:${alice.id}`);
    const changed = (JSON.parse(audited.entry) as { changes: { type: string; id: string }[] }).changes.map(
      (x) => `${x.type}:${x.id}`,
    );
    expect(changed).toEqual(expect.arrayContaining([`access_grant:${w.grants.alice}`, `access_review_entry:${alice.id}`]));

    // Reduce: Dave's admin ends, a read grant takes its place; a privileged target level is refused.
    const dave = byPerson(e, 'Dave');
    const bad = await decide(dave.id, w.owen.headers, { decision: 'reduce', reduceTo: 'admin' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('review_reduce_invalid');
    const reduce = await decide(dave.id, w.owen.headers, { decision: 'reduce', reduceTo: 'read', reason: 'no DBA work' });
    expect(reduce.status).toBe(200);
    const daveGrants = await db()
      .selectFrom('access_grants')
      .select(['id', 'level', 'state'])
      .where('person_id', '=', w.dave.id)
      .orderBy('created_at')
      .execute();
    expect(daveGrants.map((x) => `${x.level}:${x.state}`).sort()).toEqual(['admin:revoked', 'read:active']);
    expect(reduce.body.result.newGrantId).toBe(daveGrants.find((x) => x.level === 'read')!.id);

    // Defer needs a reason.
    const bob = byPerson(e, 'Bob');
    const noReason = await decide(bob.id, w.owen.headers, { decision: 'defer' });
    expect(noReason.status).toBe(400);
    const defer = await decide(bob.id, w.owen.headers, { decision: 'defer', reason: 'HR confirms leaving date' });
    expect(defer.body).toMatchObject({ decision: 'defer', reason: 'HR confirms leaving date' });

    // Escalate hands the ghost account to Owen's manager, still undecided; Boss then decides it.
    const ghost = e.find((x) => x.facts.account === 'ghost')!;
    const esc = await decide(ghost.id, w.owen.headers, { decision: 'escalate', reason: 'not mine to judge' });
    expect(esc.body).toMatchObject({ decision: null, reviewerName: 'Boss' });
    expect(esc.body.result.reassignments).toEqual([
      expect.objectContaining({ from: w.owen.id, to: w.boss.id, reason: 'not mine to judge' }),
    ]);
    expect((await decide(ghost.id, w.owen.headers, { decision: 'keep' })).body.code).toBe('review_not_assigned');
    const ghostRevoke = await decide(ghost.id, w.boss.headers, { decision: 'revoke' });
    expect(ghostRevoke.status).toBe(200);
    expect(ghostRevoke.body.result.removalTaskId).toEqual(expect.any(String));

    // Decisions are final.
    const again = await decide(byPerson(e, 'Carol').id, w.owen.headers, { decision: 'revoke' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('review_entry_decided');
  });

  it.skipIf(skip)('takes one of two simultaneous decisions on an entry, and none once a close wins', async () => {
    const w = await world();
    const c = await start((await policy()).id);
    const e = await entries(c.id);
    const owen = byPerson(e, 'Owen');
    const [a, b] = await Promise.all([
      decide(owen.id, w.boss.headers, { decision: 'revoke', reason: 'first' }),
      decide(owen.id, w.boss.headers, { decision: 'keep' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const after = byPerson(await entries(c.id), 'Owen');
    const grant = await db()
      .selectFrom('access_grants')
      .select('state')
      .where('id', '=', w.grants.owen)
      .executeTakeFirstOrThrow();
    // The grant was ended exactly when the revoke is the decision that stuck.
    expect(grant.state).toBe(after.decision === 'revoke' ? 'revoked' : 'active');
    const [closed, late] = await Promise.all([
      api('POST', `/api/v1/access/campaigns/${c.id}/close`, admin, { reason: 'done' }),
      decide(byPerson(e, 'Carol').id, w.owen.headers, { decision: 'keep' }),
    ]);
    expect(closed.status).toBe(200);
    const carol = byPerson(await entries(c.id), 'Carol');
    // Either the decision landed before the close, or it was refused as locked: never a decision after the lock.
    if (late.status === 200) expect(carol).toMatchObject({ decision: 'keep', undecidedAtClose: false });
    else expect([late.status, carol.decision, carol.undecidedAtClose]).toEqual([409, null, true]);
  });

  it.skipIf(skip)('reminds before the due date, flags overdue and escalates after it, on a manual clock', async () => {
    const w = await world();
    const c = await start((await policy({ dueDays: 30, remindDays: 7 })).id);
    const clock = t.manualClock!;
    await t.access.reviews.sweep();
    expect(await db().selectFrom('access_review_reminders').selectAll().execute()).toEqual([]);

    clock.advance(24 * DAY);
    await t.access.reviews.sweep();
    await t.access.reviews.sweep();
    const reminders = await api<{ items: { kind: string; toName: string; entries: number }[] }>(
      'GET',
      `/api/v1/access/campaigns/${c.id}/reminders`,
      admin,
    );
    expect(reminders.body.items.map((r) => `${r.kind}:${r.toName}:${r.entries}`).sort()).toEqual([
      'reminder:Boss:1',
      'reminder:Owen:5',
    ]);
    const mine = await api<{ reminders: { kind: string }[] }>('GET', '/api/v1/access/reviews/mine', w.owen.headers);
    expect(mine.body.reminders.map((r) => r.kind)).toEqual(['reminder']);

    // Owen decides one; then the due date passes.
    await decide(byPerson(await entries(c.id), 'Carol').id, w.owen.headers, { decision: 'keep' });
    clock.advance(7 * DAY);
    await t.access.reviews.sweep();
    const after = await entries(c.id);
    expect(after.filter((e) => e.overdue).length).toBe(5);
    expect(byPerson(after, 'Carol').overdue).toBe(false);
    expect(byPerson(after, 'Alice')).toMatchObject({ overdue: true, escalatedToName: 'Boss', reviewerName: 'Owen' });
    // Boss reviews Owen's own entry and has no manager: overdue, not escalated.
    expect(byPerson(after, 'Owen')).toMatchObject({ overdue: true, escalatedTo: null });
    const r2 = await api<{ items: { kind: string; toName: string; entries: number }[] }>(
      'GET',
      `/api/v1/access/campaigns/${c.id}/reminders`,
      admin,
    );
    expect(r2.body.items.filter((r) => r.kind === 'escalation').map((r) => `${r.toName}:${r.entries}`)).toEqual(['Boss:4']);
    const signal = await db()
      .selectFrom('incidents_signals')
      .selectAll()
      .where('dedup_key', '=', `access:review-overdue:${c.id}`)
      .execute();
    expect(signal).toHaveLength(1);
    // A second sweep changes nothing more.
    await t.access.reviews.sweep();
    expect((await api<{ items: unknown[] }>('GET', `/api/v1/access/campaigns/${c.id}/reminders`, admin)).body.items).toHaveLength(
      3,
    );
    expect(
      await db().selectFrom('incidents_signals').selectAll().where('dedup_key', '=', `access:review-overdue:${c.id}`).execute(),
    ).toHaveLength(1);
    // The manager may now decide the escalated entry, and sees it in his work list.
    const bossList = await api<{ entries: EntryView[] }>('GET', '/api/v1/access/reviews/mine', w.boss.headers);
    expect(bossList.body.entries.map((e) => e.facts.personName ?? e.facts.account).sort()).toEqual(
      ['Alice', 'Bob', 'Dave', 'Owen', 'ghost'].sort(),
    );
    expect((await decide(byPerson(after, 'Alice').id, w.boss.headers, { decision: 'keep' })).status).toBe(200);
    const list = await api<{ items: CampaignView[] }>('GET', '/api/v1/access/campaigns', admin);
    expect(list.body.items[0]).toMatchObject({ id: c.id, total: 6, decided: 2, overdue: 5 });
  });

  it.skipIf(skip)('starts campaigns on schedule and moves the next run one interval on', async () => {
    const clock = t.manualClock!;
    // A first run on 29 November: three months on is 28 February (the month's last day), not 1 March.
    clock.set('2026-11-28T09:00:00.000Z');
    await world();
    const first = '2026-11-29T09:00:00.000Z';
    const p = await policy({ intervalMonths: 3, nextRunAt: first });
    await t.access.reviews.sweep();
    expect((await api<{ items: CampaignView[] }>('GET', '/api/v1/access/campaigns', admin)).body.items).toHaveLength(0);
    clock.advance(2 * DAY);
    await t.access.reviews.sweep();
    const list = (await api<{ items: CampaignView[] }>('GET', `/api/v1/access/campaigns?policyId=${p.id}`, admin)).body.items;
    expect(list).toHaveLength(1);
    expect(list[0]!.startedBy).toBe('system:access-reviews');
    const after = (await api<ReviewPolicyView>('GET', '/api/v1/access/review-policies', admin)).body as unknown as {
      items: ReviewPolicyView[];
    };
    const next = after.items.find((x) => x.id === p.id)!.nextRunAt!;
    expect(next).toBe('2027-02-28T09:00:00.000Z');
    await t.access.reviews.sweep();
    expect((await api<{ items: CampaignView[] }>('GET', '/api/v1/access/campaigns', admin)).body.items).toHaveLength(1);
    // The routes are described in the OpenAPI document.
    const doc = await api<string>('GET', '/api/v1/openapi.json', admin);
    expect(doc.status).toBe(200);
    expect(JSON.stringify(doc.body)).toContain('/api/v1/access/review-entries/');
  });

  it.skipIf(skip)('closes only when decided or with a reason, then locks; exports CSV and PDF evidence that match', async () => {
    const w = await world();
    const c = await start((await policy()).id);
    const e = await entries(c.id);
    const notYet = await api<{ code: string }>('GET', `/api/v1/access/campaigns/${c.id}/export.csv`, admin);
    expect(notYet.status).toBe(409);
    expect(notYet.body.code).toBe('campaign_not_closed');
    const early = await api<{ code: string }>('POST', `/api/v1/access/campaigns/${c.id}/close`, admin, {});
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('campaign_undecided');
    expect((await api('POST', `/api/v1/access/campaigns/${c.id}/close`, w.owen.headers, { reason: 'x' })).status).toBe(403);

    for (const x of e) {
      if (x.facts.personName === 'Owen') continue;
      const r = await decide(
        x.id,
        w.owen.headers,
        x.facts.personName === 'Bob' ? { decision: 'revoke', reason: 'left' } : { decision: 'keep' },
      );
      expect(r.status).toBe(200);
    }
    await decide(byPerson(e, 'Owen').id, w.boss.headers, { decision: 'keep' });
    const closed = await api<CampaignView>('POST', `/api/v1/access/campaigns/${c.id}/close`, admin, {});
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ state: 'closed', decided: 6, total: 6 });
    expect(closed.body.lockedBy).toMatch(/^token:/);

    const locked = await decide(byPerson(e, 'Alice').id, admin, { decision: 'revoke' });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('campaign_locked');
    expect(
      (await api<{ code: string }>('POST', `/api/v1/access/campaigns/${c.id}/close`, admin, { reason: 'again' })).body.code,
    ).toBe('campaign_locked');

    const csv = await api<string>('GET', `/api/v1/access/campaigns/${c.id}/export.csv`, admin);
    expect(csv.status).toBe(200);
    expect(csv.res.headers['content-type']).toContain('text/csv');
    const sha = createHash('sha256').update(csv.res.body, 'utf8').digest('hex');
    expect(csv.res.headers['x-content-sha256']).toBe(sha);
    const rows = csv.res.body.trimEnd().split('\r\n');
    expect(rows).toHaveLength(7);
    expect(rows[0]).toBe(EVIDENCE_COLUMNS.map((x) => `"${x}"`).join(','));
    const bobRow = rows.find((r) => r.includes('"Bob"'))!;
    expect(bobRow).toContain('"revoke","left"');
    expect(bobRow).toContain('"leaver"');
    expect(bobRow).toContain(`grant ${w.grants.bob} ended (revoked)`);

    const pdf = await t.app.inject({ method: 'GET', url: `/api/v1/access/campaigns/${c.id}/export.pdf`, headers: admin });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const raw = pdf.rawPayload.toString('latin1');
    expect(raw.startsWith('%PDF-')).toBe(true);
    expect(raw.trimEnd().endsWith('%%EOF')).toBe(true);
    const pages = raw.match(/\/Type \/Page\b/g) ?? [];
    expect(pages.length).toBe(1);
    // pdfkit writes standard-font text as hex strings: decode them to search the words.
    const text = [...raw.matchAll(/<([0-9a-f]+)>/g)].map((m) => Buffer.from(m[1]!, 'hex').toString('latin1')).join('');
    expect(text).toContain(sha);
    expect(text).toContain('Bob');
    expect(text).toContain('decision: revoke (left)');
    expect(text).toContain('Reviewers');
  });

  it.skipIf(skip)("reviews physical access per site by the person's manager; a revoke ends the site grant", async () => {
    const w = await world();
    const site = randomUUID();
    await db()
      .insertInto('access_sites')
      .values({
        id: site,
        name: 'DC Ballerup',
        address: '',
        country: 'DK',
        holds: '["customer-data"]',
        operator: '',
        owner_id: w.boss.id,
        notes: '',
        residency_signalled: 0,
        created_at: now(),
        updated_at: now(),
      })
      .execute();
    const siteGrant = randomUUID();
    const row = {
      site_id: site,
      justification: 'racks',
      requested_by: 'system:test',
      approved_by: 'system:test',
      approved_at: now(),
      state: 'active',
      starts_at: now(),
      expires_at: null,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      created_at: now(),
      updated_at: now(),
    };
    await db()
      .insertInto('access_site_grants')
      .values({ ...row, id: siteGrant, person_id: w.alice.id })
      .execute();
    await db()
      .insertInto('access_site_grants')
      .values({ ...row, id: randomUUID(), person_id: w.bob.id })
      .execute();
    const c = await start((await policy({ scope: 'physical', reviewerRule: 'manager', siteIds: [site] })).id);
    expect(c.scope).toMatchObject({ scope: 'physical', targets: [{ id: site, name: 'DC Ballerup' }] });
    const e = await entries(c.id);
    expect(e.map((x) => `${x.facts.kind}:${x.facts.personName}:${x.reviewerName}:${x.flags.join('+')}`)).toEqual([
      // No badge events at the site at all: whether the access is used is unknown, not assumed.
      'site-grant:Alice:Owen:no-use-data',
      'site-grant:Bob:Owen:no-use-data+leaver',
    ]);
    const r = await decide(byPerson(e, 'Bob').id, w.owen.headers, { decision: 'revoke', reason: 'left' });
    expect(r.status).toBe(200);
    const g = await db()
      .selectFrom('access_site_grants')
      .select(['state'])
      .where('person_id', '=', w.bob.id)
      .executeTakeFirstOrThrow();
    expect(g.state).toBe('revoked');
    expect(r.body.result.siteGrantEnded).toMatchObject({ state: 'revoked' });
    const unknownSite = await api<{ code: string }>('POST', '/api/v1/access/review-policies', admin, {
      name: 'x',
      scope: 'physical',
      siteIds: ['nope'],
    });
    expect(unknownSite.status).toBe(400);
    expect(unknownSite.body.code).toBe('review_site_not_found');
  });

  it.skipIf(skip)('closes with a reason over undecided entries, which stay marked in the evidence', async () => {
    await world();
    const c = await start((await policy()).id);
    const r = await api<CampaignView>('POST', `/api/v1/access/campaigns/${c.id}/close`, admin, { reason: 'auditor deadline' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'closed', closeReason: 'auditor deadline', decided: 0 });
    const e = await entries(c.id);
    expect(e.every((x) => x.undecidedAtClose)).toBe(true);
    const csv = await api<string>('GET', `/api/v1/access/campaigns/${c.id}/export.csv`, admin);
    expect(
      csv.res.body
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .every((row) => row.includes('"no","yes"')),
    ).toBe(true);
  });
});
