import { randomUUID } from 'node:crypto';
import type { AuditRecorder, AuditSink } from '../../core/audit.ts';
import { type Clock, iso, later } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { Severity, SignalSink } from '../../core/signals.ts';
import { removalTargetMissing, systemNotFound, taskClosed, taskNotFound } from './accounts.errors.ts';
import { type MatchedPerson, type PeopleIndex, type ValidGrant, loadPeopleIndex, validGrants } from './accounts.match.ts';
import type { ParsedAccountList, RejectedRow } from './accounts.parse.ts';
import type { AccessAccountsTable, AccessTasksTable } from './accounts.tables.ts';

/**
 * Actual access compared with the grants (issue 6 item 3; P6): account lists imported per system (a list is the
 * system's complete list), each account matched to a person and to that person's valid grant, discrepancies raised as
 * signals (one incident per system for accounts without a grant, one per leaver still holding accounts), and removal
 * tasks that close when an import shows the account gone.
 */

/** Why an account is a finding: no person, a person who left, no valid grant, or privileged without a privileged grant. */
export type Discrepancy = 'orphaned' | 'leaver' | 'ungranted' | 'excessive';

export interface AccountView {
  id: string;
  systemId: string;
  systemName: string;
  account: string;
  displayName: string;
  email: string | null;
  person: { id: string; name: string; status: string } | null;
  privileged: boolean;
  groups: string[];
  disabled: boolean;
  lastUsedAt: string | null;
  firstSeenAt: string;
  goneAt: string | null;
  /** The valid grant that covers the account (a privileged one first), if any. */
  grant: { id: string; level: string; privileged: boolean; expiresAt: string | null } | null;
  /** Null when the account is as granted, disabled, or gone. */
  discrepancy: Discrepancy | null;
}

export type RowStatus = 'added' | 'updated' | 'returned' | 'unchanged';

export interface AccountImportResult {
  importId: string;
  /** `unchanged`: the same list as the system's last import; nothing was changed. */
  status: 'applied' | 'unchanged';
  systemId: string;
  source: 'csv' | 'json' | 'ldap';
  receivedAt: string;
  counts: { rows: number; added: number; updated: number; unchanged: number; gone: number; rejected: number };
  rows: { line?: number | undefined; index?: number | undefined; account: string; status: RowStatus }[];
  rejected: RejectedRow[];
  /** Accounts the list no longer holds (now marked gone). */
  gone: string[];
  /** Removal tasks closed because their account is gone. */
  tasksClosed: string[];
}

export interface ImportView {
  id: string;
  systemId: string;
  source: string;
  receivedAt: string;
  actor: string;
  counts: AccountImportResult['counts'];
  errors: RejectedRow[];
}

export interface TaskView {
  id: string;
  kind: string;
  systemId: string;
  systemName: string;
  account: string | null;
  personId: string | null;
  personName: string | null;
  grantId: string | null;
  reviewEntryId: string | null;
  state: 'open' | 'done';
  reason: string;
  openedBy: string;
  openedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  closedReason: string | null;
}

export interface RemovalTaskInput {
  systemId: string;
  /** The account to remove; when omitted, every live account of the person on the system (or one task for the person). */
  account?: string | undefined;
  /** The person whose access ends; empty or null for an orphaned account (then `account` is required). */
  personId?: string | null | undefined;
  grantId?: string | undefined;
  reviewEntryId?: string | undefined;
  /** Actor reference (`user:<id>`, `system:access`). */
  actor: string;
  reason?: string | undefined;
}

export interface AccountsServiceDeps {
  clock: Clock;
  audit: AuditSink;
  signals: SignalSink;
}

const NO_AUDIT: AuditRecorder = { target: () => undefined, change: () => undefined };
const CHUNK = 500;
/** Per-account audit changes recorded per import (beyond: counted in the import's record). */
const MAX_CHANGES = 500;

const parseJsonArray = (s: string): string[] => {
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

function taskView(r: AccessTasksTable, systemName: string, personName: string | null): TaskView {
  return {
    id: r.id,
    kind: r.kind,
    systemId: r.system_id,
    systemName,
    account: r.account,
    personId: r.person_id,
    personName,
    grantId: r.grant_id,
    reviewEntryId: r.review_entry_id,
    state: r.state === 'done' ? 'done' : 'open',
    reason: r.reason,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
    closedBy: r.closed_by,
    closedReason: r.closed_reason,
  };
}

/**
 * Open removal tasks (kind `remove-account`) inside the caller's transaction: for a revoked grant or a review's revoke
 * decision. One task per live account of the person on the system (or the named account); an open task for the same
 * account is reused. When the person has no live account there, one task for the person is opened: the next import
 * closes it if none appears. An account already gone gets its task closed at once (the evidence still shows it).
 */
export async function openRemovalTask(
  trx: Db,
  input: RemovalTaskInput & { at: Date },
  rec: AuditRecorder = NO_AUDIT,
): Promise<TaskView[]> {
  const now = iso(input.at);
  const personId = input.personId || null;
  if (!personId && !input.account) throw removalTargetMissing();
  const system = await trx
    .selectFrom('access_systems')
    .select(['id', 'name'])
    .where('id', '=', input.systemId)
    .executeTakeFirst();
  if (!system) throw systemNotFound(input.systemId);
  const person = personId
    ? await trx.selectFrom('access_people').select('name').where('id', '=', personId).executeTakeFirst()
    : undefined;
  let targets: { account: string | null; gone: boolean }[];
  if (input.account) {
    const account = input.account.toLowerCase();
    const row = await trx
      .selectFrom('access_accounts')
      .select(['gone_at'])
      .where('system_id', '=', input.systemId)
      .where('account', '=', account)
      .executeTakeFirst();
    targets = [{ account, gone: row ? row.gone_at !== null : false }];
  } else {
    const rows = await trx
      .selectFrom('access_accounts')
      .select('account')
      .where('system_id', '=', input.systemId)
      .where('person_id', '=', personId ?? '')
      .where('gone_at', 'is', null)
      .execute();
    targets = rows.length ? rows.map((r) => ({ account: r.account, gone: false })) : [{ account: null, gone: false }];
  }
  const out: TaskView[] = [];
  for (const t of targets) {
    let existing = trx
      .selectFrom('access_tasks')
      .selectAll()
      .where('kind', '=', 'remove-account')
      .where('state', '=', 'open')
      .where('system_id', '=', input.systemId);
    existing =
      t.account === null
        ? existing.where('account', 'is', null).where('person_id', '=', personId ?? '')
        : existing.where('account', '=', t.account);
    const open = await existing.executeTakeFirst();
    if (open) {
      out.push(taskView(open, system.name, person?.name ?? null));
      continue;
    }
    const row: AccessTasksTable = {
      id: randomUUID(),
      kind: 'remove-account',
      system_id: input.systemId,
      account: t.account,
      person_id: personId,
      grant_id: input.grantId ?? null,
      review_entry_id: input.reviewEntryId ?? null,
      state: t.gone ? 'done' : 'open',
      reason: input.reason ?? (input.reviewEntryId ? 'revoked in an access review' : 'grant revoked'),
      opened_by: input.actor,
      opened_at: now,
      closed_at: t.gone ? now : null,
      closed_by: t.gone ? 'system:access' : null,
      closed_reason: t.gone ? 'the account was already gone when the task was opened' : null,
    };
    await trx.insertInto('access_tasks').values(row).execute();
    rec.change({ type: 'access-task', id: row.id, before: null, after: { ...row } });
    out.push(taskView(row, system.name, person?.name ?? null));
  }
  return out;
}

export class AccountsService {
  constructor(private readonly d: AccountsServiceDeps) {}

  async system(db: Db, id: string): Promise<{ id: string; name: string; classification: string }> {
    const s = await db
      .selectFrom('access_systems')
      .select(['id', 'name', 'classification'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!s) throw systemNotFound(id);
    return s;
  }

  /** Apply a system's complete account list (see AccountImportResult); signals and tasks follow in the same transaction. */
  async applyList(
    db: Db,
    systemId: string,
    list: ParsedAccountList,
    actor: string,
    rec: AuditRecorder = NO_AUDIT,
  ): Promise<AccountImportResult> {
    await this.system(db, systemId);
    const now = iso(this.d.clock.now());
    const rowResults: AccountImportResult['rows'] = [];
    const last = await db
      .selectFrom('access_account_imports')
      .select(['id', 'digest'])
      .where('system_id', '=', systemId)
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last && last.digest === list.digest) {
      for (const r of list.rows) rowResults.push({ line: r.line, index: r.index, account: r.account, status: 'unchanged' });
      return {
        importId: last.id,
        status: 'unchanged',
        systemId,
        source: list.source,
        receivedAt: now,
        counts: {
          rows: list.rows.length + list.rejected.length,
          added: 0,
          updated: 0,
          unchanged: list.rows.length,
          gone: 0,
          rejected: list.rejected.length,
        },
        rows: rowResults,
        rejected: list.rejected,
        gone: [],
        tasksClosed: [],
      };
    }

    const importId = randomUUID();
    const people = await loadPeopleIndex(db);
    const existing = new Map<string, AccessAccountsTable>();
    for (const r of await db.selectFrom('access_accounts').selectAll().where('system_id', '=', systemId).execute())
      existing.set(r.account, r);
    const counts = {
      rows: list.rows.length + list.rejected.length,
      added: 0,
      updated: 0,
      unchanged: 0,
      gone: 0,
      rejected: list.rejected.length,
    };
    // Successful logins recorded before a list named the account count as its use too (the reviews count them as well).
    const loggedIn = new Map<string, string>();
    for (const l of await db
      .selectFrom('access_login_events')
      .select((eb) => ['account', eb.fn.max('occurred_at').as('last')])
      .where('system_id', '=', systemId)
      .where('outcome', '=', 'succeeded')
      .groupBy('account')
      .execute())
      if (l.last) loggedIn.set(l.account, String(l.last));
    const inserts: AccessAccountsTable[] = [];
    const seenIds: string[] = [];
    let changes = 0;
    const change = (c: Parameters<AuditRecorder['change']>[0]) => {
      if (changes++ < MAX_CHANGES) rec.change(c);
    };
    for (const r of list.rows) {
      const person = people.match(r.account, r.email);
      const prev = existing.get(r.account);
      const lastUsed = later(later(prev?.last_used_at ?? null, r.lastLogin), loggedIn.get(r.account));
      const next = {
        display_name: r.displayName,
        email: r.email,
        person_id: person?.id ?? null,
        privileged: r.privileged ? 1 : 0,
        groups: JSON.stringify(r.groups),
        disabled: r.disabled ? 1 : 0,
        last_used_at: lastUsed,
        gone_at: null,
      };
      if (!prev) {
        const row: AccessAccountsTable = {
          id: randomUUID(),
          system_id: systemId,
          account: r.account,
          ...next,
          first_seen_at: now,
          last_seen_import: importId,
          updated_at: now,
        };
        inserts.push(row);
        counts.added++;
        rowResults.push({ line: r.line, index: r.index, account: r.account, status: 'added' });
        change({
          type: 'access-account',
          id: row.id,
          before: null,
          after: { account: r.account, systemId, privileged: r.privileged },
        });
        continue;
      }
      seenIds.push(prev.id);
      const differs = (Object.keys(next) as (keyof typeof next)[]).some((k) => prev[k] !== next[k]);
      if (!differs) {
        counts.unchanged++;
        rowResults.push({ line: r.line, index: r.index, account: r.account, status: 'unchanged' });
        continue;
      }
      await db
        .updateTable('access_accounts')
        .set({ ...next, last_seen_import: importId, updated_at: now })
        .where('id', '=', prev.id)
        .execute();
      counts.updated++;
      const status: RowStatus = prev.gone_at !== null ? 'returned' : 'updated';
      rowResults.push({ line: r.line, index: r.index, account: r.account, status });
      change({
        type: 'access-account',
        id: prev.id,
        before: {
          privileged: prev.privileged === 1,
          disabled: prev.disabled === 1,
          goneAt: prev.gone_at,
          personId: prev.person_id,
        },
        after: { privileged: r.privileged, disabled: r.disabled, goneAt: null, personId: person?.id ?? null },
      });
    }
    for (let i = 0; i < inserts.length; i += CHUNK)
      await db
        .insertInto('access_accounts')
        .values(inserts.slice(i, i + CHUNK))
        .execute();
    for (let i = 0; i < seenIds.length; i += CHUNK)
      await db
        .updateTable('access_accounts')
        .set({ last_seen_import: importId })
        .where('id', 'in', seenIds.slice(i, i + CHUNK))
        .execute();

    // The list is complete: what it no longer holds is gone — except accounts on a rejected row (their state is unknown).
    const listed = new Set(list.rows.map((r) => r.account));
    for (const r of list.rejected) if (r.account) listed.add(r.account);
    const gone: AccessAccountsTable[] = [...existing.values()].filter((a) => a.gone_at === null && !listed.has(a.account));
    for (let i = 0; i < gone.length; i += CHUNK)
      await db
        .updateTable('access_accounts')
        .set({ gone_at: now, updated_at: now })
        .where(
          'id',
          'in',
          gone.slice(i, i + CHUNK).map((a) => a.id),
        )
        .execute();
    for (const a of gone)
      change({ type: 'access-account', id: a.id, before: { goneAt: null }, after: { account: a.account, goneAt: now } });
    counts.gone = gone.length;

    await db
      .insertInto('access_account_imports')
      .values({
        id: importId,
        system_id: systemId,
        source: list.source,
        received_at: now,
        digest: list.digest,
        ...counts,
        errors: JSON.stringify(list.rejected),
        actor,
      })
      .execute();
    rec.target(`access-system:${systemId}`);
    rec.change({ type: 'access-account-import', id: importId, before: null, after: { source: list.source, ...counts } });

    const tasksClosed = await this.closeTasksForGone(db, systemId, `the import of ${now} no longer lists the account`, rec);
    await this.evaluate(db, [systemId]);
    return {
      importId,
      status: 'applied',
      systemId,
      source: list.source,
      receivedAt: now,
      counts,
      rows: rowResults,
      rejected: list.rejected,
      gone: gone.map((a) => a.account).sort(),
      tasksClosed,
    };
  }

  /** Close open removal tasks whose account is gone (or, for a person's task, whose person has no live account left). */
  async closeTasksForGone(db: Db, systemId: string, reason: string, rec: AuditRecorder = NO_AUDIT): Promise<string[]> {
    const now = iso(this.d.clock.now());
    const open = await db
      .selectFrom('access_tasks')
      .selectAll()
      .where('system_id', '=', systemId)
      .where('state', '=', 'open')
      .execute();
    if (!open.length) return [];
    const live = await db
      .selectFrom('access_accounts')
      .select(['account', 'person_id'])
      .where('system_id', '=', systemId)
      .where('gone_at', 'is', null)
      .execute();
    const liveAccounts = new Set(live.map((a) => a.account));
    const livePeople = new Set(live.map((a) => a.person_id).filter((p): p is string => p !== null));
    const closed: string[] = [];
    for (const t of open) {
      const done = t.account !== null ? !liveAccounts.has(t.account) : t.person_id === null || !livePeople.has(t.person_id);
      if (!done) continue;
      await db
        .updateTable('access_tasks')
        .set({ state: 'done', closed_at: now, closed_by: 'system:access', closed_reason: reason })
        .where('id', '=', t.id)
        .execute();
      rec.change({ type: 'access-task', id: t.id, before: { state: 'open' }, after: { state: 'done', closedReason: reason } });
      closed.push(t.id);
    }
    return closed;
  }

  /** Each account of a system (or all systems) with its person, covering grant and discrepancy. */
  async listAccounts(
    db: Db,
    opts: { systemId?: string | undefined; includeGone?: boolean | undefined } = {},
  ): Promise<AccountView[]> {
    if (opts.systemId) await this.system(db, opts.systemId);
    const now = iso(this.d.clock.now());
    let q = db
      .selectFrom('access_accounts as a')
      .innerJoin('access_systems as s', 's.id', 'a.system_id')
      .selectAll('a')
      .select('s.name as system_name')
      .orderBy('s.name')
      .orderBy('a.account');
    if (opts.systemId) q = q.where('a.system_id', '=', opts.systemId);
    if (!opts.includeGone) q = q.where('a.gone_at', 'is', null);
    const rows = await q.execute();
    const people = await loadPeopleIndex(db);
    const grants = await validGrants(db, now, opts.systemId ? [opts.systemId] : undefined);
    return rows.map((r) => this.view(r, r.system_name, people, grants));
  }

  private view(r: AccessAccountsTable, systemName: string, people: PeopleIndex, grants: Map<string, ValidGrant[]>): AccountView {
    // The stored match is refreshed by every import and sweep; a view matches again so a person added since counts.
    const person: MatchedPerson | null =
      people.match(r.account, r.email) ?? (r.person_id ? (people.byId.get(r.person_id) ?? null) : null);
    const list = person ? (grants.get(`${r.system_id}:${person.id}`) ?? []) : [];
    const grant = list.find((g) => g.privileged) ?? list[0] ?? null;
    const privileged = r.privileged === 1;
    let discrepancy: Discrepancy | null = null;
    if (r.gone_at === null && r.disabled === 0) {
      if (!person) discrepancy = 'orphaned';
      else if (person.status === 'left') discrepancy = 'leaver';
      else if (!grant) discrepancy = 'ungranted';
      else if (privileged && !list.some((g) => g.privileged)) discrepancy = 'excessive';
    }
    return {
      id: r.id,
      systemId: r.system_id,
      systemName,
      account: r.account,
      displayName: r.display_name,
      email: r.email,
      person: person ? { id: person.id, name: person.name, status: person.status } : null,
      privileged,
      groups: parseJsonArray(r.groups),
      disabled: r.disabled === 1,
      lastUsedAt: r.last_used_at,
      firstSeenAt: r.first_seen_at,
      goneAt: r.gone_at,
      grant: grant ? { id: grant.id, level: grant.level, privileged: grant.privileged, expiresAt: grant.expiresAt } : null,
      discrepancy,
    };
  }

  /** Accounts with a discrepancy, across systems (or one). */
  async discrepancies(db: Db, systemId?: string): Promise<AccountView[]> {
    return (await this.listAccounts(db, { systemId })).filter((a) => a.discrepancy !== null);
  }

  /** Per system: live accounts, discrepancies by kind and the last import. */
  async summary(db: Db): Promise<
    {
      systemId: string;
      systemName: string;
      classification: string;
      accounts: number;
      discrepancies: Record<Discrepancy, number>;
      lastImport: { id: string; source: string; receivedAt: string } | null;
    }[]
  > {
    const systems = await db.selectFrom('access_systems').select(['id', 'name', 'classification']).orderBy('name').execute();
    const accounts = await this.listAccounts(db);
    const imports = await db
      .selectFrom('access_account_imports')
      .select(['id', 'system_id', 'source', 'received_at'])
      .orderBy('received_at', 'desc')
      .execute();
    return systems.map((s) => {
      const mine = accounts.filter((a) => a.systemId === s.id);
      const d: Record<Discrepancy, number> = { orphaned: 0, leaver: 0, ungranted: 0, excessive: 0 };
      for (const a of mine) if (a.discrepancy) d[a.discrepancy]++;
      const li = imports.find((i) => i.system_id === s.id);
      return {
        systemId: s.id,
        systemName: s.name,
        classification: s.classification,
        accounts: mine.length,
        discrepancies: d,
        lastImport: li ? { id: li.id, source: li.source, receivedAt: li.received_at } : null,
      };
    });
  }

  async listImports(db: Db, systemId: string, limit: number): Promise<ImportView[]> {
    await this.system(db, systemId);
    const rows = await db
      .selectFrom('access_account_imports')
      .selectAll()
      .where('system_id', '=', systemId)
      .orderBy('received_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      systemId: r.system_id,
      source: r.source,
      receivedAt: r.received_at,
      actor: r.actor,
      counts: { rows: r.rows, added: r.added, updated: r.updated, unchanged: r.unchanged, gone: r.gone, rejected: r.rejected },
      errors: JSON.parse(r.errors) as RejectedRow[],
    }));
  }

  /**
   * Compare accounts with grants and raise or resolve signals: `access:ungranted:<systemId>` (one incident per system
   * naming its orphaned, ungranted and excessive accounts) and `access:leaver:<personId>` (a person who left still
   * holds live accounts). A finding is raised again only when what it names changes; it resolves when it is gone.
   * Also refreshes each account's stored person match.
   */
  async evaluate(db: Db, systemIds?: string[]): Promise<void> {
    const all = await this.listAccounts(db);
    const systems = await db.selectFrom('access_systems').select(['id', 'name', 'classification']).execute();
    // Only accounts whose match changed are written (a sweep over an unchanged inventory writes nothing).
    const stored = new Map(
      (await db.selectFrom('access_accounts').select(['id', 'person_id']).where('gone_at', 'is', null).execute()).map((r) => [
        r.id,
        r.person_id,
      ]),
    );
    for (const a of all) {
      const pid = a.person?.id ?? null;
      if (stored.get(a.id) === pid) continue;
      await db.updateTable('access_accounts').set({ person_id: pid }).where('id', '=', a.id).execute();
    }
    for (const s of systems) {
      if (systemIds && !systemIds.includes(s.id)) continue;
      const findings = all.filter((a) => a.systemId === s.id && a.discrepancy && a.discrepancy !== 'leaver');
      const severity: Severity = s.classification === 'other' ? 'minor' : 'major';
      await this.signal(
        db,
        `access:ungranted:${s.id}`,
        findings.map((a) => `${a.account}:${a.discrepancy}`),
        severity,
        {
          summary: `${findings.length} account(s) on ${s.name} without a matching grant: ${findings
            .slice(0, 10)
            .map((a) => `${a.account} (${a.discrepancy})`)
            .join(', ')}${findings.length > 10 ? ' …' : ''}`,
          resolvedSummary: `every account on ${s.name} matches a grant`,
          details: {
            systemId: s.id,
            system: s.name,
            accounts: findings.slice(0, 100).map((a) => ({ account: a.account, discrepancy: a.discrepancy })),
          },
        },
      );
    }
    // Leavers: across every system, so one system's import cannot resolve another system's finding.
    const byLeaver = new Map<string, AccountView[]>();
    for (const a of all) {
      if (a.discrepancy !== 'leaver' || !a.person) continue;
      const l = byLeaver.get(a.person.id);
      if (l) l.push(a);
      else byLeaver.set(a.person.id, [a]);
    }
    const open = await db
      .selectFrom('access_account_signals')
      .select('dedup_key')
      .where('dedup_key', 'like', 'access:leaver:%')
      .where('status', '=', 'firing')
      .execute();
    const leaverIds = new Set([...byLeaver.keys(), ...open.map((o) => o.dedup_key.slice('access:leaver:'.length))]);
    for (const pid of leaverIds) {
      const list = byLeaver.get(pid) ?? [];
      const name = list[0]?.person?.name ?? pid;
      await this.signal(
        db,
        `access:leaver:${pid}`,
        list.map((a) => `${a.systemName}/${a.account}`),
        'major',
        {
          summary: `${name} has left but still holds ${list.length} account(s): ${list
            .slice(0, 10)
            .map((a) => `${a.account} on ${a.systemName}`)
            .join(', ')}`,
          resolvedSummary: `${name} holds no live accounts any more`,
          details: { personId: pid, accounts: list.slice(0, 100).map((a) => ({ system: a.systemName, account: a.account })) },
        },
      );
    }
  }

  /** Raise `key` when `names` is not empty and differs from what was last raised; resolve it when it empties. */
  private async signal(
    db: Db,
    key: string,
    names: string[],
    severity: Severity,
    text: { summary: string; resolvedSummary: string; details: Record<string, unknown> },
  ): Promise<void> {
    const now = iso(this.d.clock.now());
    const fingerprint = [...names].sort().join('\n');
    const prev = await db.selectFrom('access_account_signals').selectAll().where('dedup_key', '=', key).executeTakeFirst();
    const firing = names.length > 0;
    if (firing && prev?.status === 'firing' && prev.fingerprint === fingerprint) return;
    if (!firing && (!prev || prev.status === 'resolved')) return;
    await this.d.signals.raise(db, {
      source: 'access',
      dedupKey: key,
      status: firing ? 'firing' : 'resolved',
      severity,
      summary: firing ? text.summary : text.resolvedSummary,
      details: text.details,
      autoResolve: true,
    });
    const row = { status: firing ? 'firing' : 'resolved', fingerprint, updated_at: now };
    if (prev) await db.updateTable('access_account_signals').set(row).where('dedup_key', '=', key).execute();
    else
      await db
        .insertInto('access_account_signals')
        .values({ dedup_key: key, ...row })
        .execute();
  }

  /** Removal tasks, open first, newest first. */
  async listTasks(
    db: Db,
    opts: { id?: string; state?: 'open' | 'done' | undefined; systemId?: string | undefined; limit: number },
  ): Promise<TaskView[]> {
    let q = db
      .selectFrom('access_tasks as t')
      .innerJoin('access_systems as s', 's.id', 't.system_id')
      .leftJoin('access_people as p', 'p.id', 't.person_id')
      .selectAll('t')
      .select(['s.name as system_name', 'p.name as person_name'])
      .orderBy('t.state', 'desc')
      .orderBy('t.opened_at', 'desc')
      .limit(opts.limit);
    if (opts.id) q = q.where('t.id', '=', opts.id);
    if (opts.state) q = q.where('t.state', '=', opts.state);
    if (opts.systemId) q = q.where('t.system_id', '=', opts.systemId);
    return (await q.execute()).map((r) => taskView(r, r.system_name, r.person_name));
  }

  openRemovalTask(trx: Db, input: RemovalTaskInput, rec?: AuditRecorder): Promise<TaskView[]> {
    return openRemovalTask(trx, { ...input, at: this.d.clock.now() }, rec);
  }

  /**
   * A person's access ended outside a review (a grant revoked by hand or expired, or the person left): for every
   * account of theirs still on a system (or just on `systemId`), open a removal task through `openRemovalTask` (an
   * open one is reused), in the caller's transaction and audit record. Theirs: matched to them at the last import or
   * comparison, or unmatched but carrying one of their account names or their e-mail now (names added since). Systems
   * without such an account get nothing. Returns the tasks.
   */
  async openRemovalTasksForPerson(
    trx: Db,
    input: { personId: string; systemId?: string | undefined; grantId?: string | undefined; actor: string; reason: string },
    rec: AuditRecorder = NO_AUDIT,
  ): Promise<TaskView[]> {
    const person = await trx
      .selectFrom('access_people')
      .select(['email', 'identifiers'])
      .where('id', '=', input.personId)
      .executeTakeFirst();
    if (!person) return [];
    const names = parseJsonArray(person.identifiers).map((n) => n.toLowerCase());
    const email = person.email?.toLowerCase() ?? null;
    let q = trx
      .selectFrom('access_accounts')
      .select(['system_id', 'account'])
      .where('gone_at', 'is', null)
      .where((eb) => {
        const unmatched = [];
        if (names.length) unmatched.push(eb('account', 'in', names));
        if (email) unmatched.push(eb('email', '=', email));
        return unmatched.length
          ? eb.or([eb('person_id', '=', input.personId), eb.and([eb('person_id', 'is', null), eb.or(unmatched)])])
          : eb('person_id', '=', input.personId);
      });
    if (input.systemId) q = q.where('system_id', '=', input.systemId);
    const accounts = await q.orderBy('system_id').orderBy('account').execute();
    const out: TaskView[] = [];
    for (const a of accounts) {
      const tasks = await this.openRemovalTask(
        trx,
        {
          systemId: a.system_id,
          account: a.account,
          personId: input.personId,
          grantId: input.grantId,
          actor: input.actor,
          reason: input.reason,
        },
        rec,
      );
      out.push(...tasks);
    }
    return out;
  }

  /** Close a task by hand (the account was removed another way, or is to stay), with the reason. */
  async closeTask(db: Db, id: string, reason: string, actor: string, rec: AuditRecorder = NO_AUDIT): Promise<TaskView> {
    const t = await db.selectFrom('access_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!t) throw taskNotFound(id);
    if (t.state !== 'open') throw taskClosed(id);
    const now = iso(this.d.clock.now());
    await db
      .updateTable('access_tasks')
      .set({ state: 'done', closed_at: now, closed_by: actor, closed_reason: reason })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .execute();
    rec.target(`access-task:${id}`);
    rec.change({ type: 'access-task', id, before: { state: 'open' }, after: { state: 'done', closedReason: reason } });
    const [v] = await this.listTasks(db, { id, limit: 1 });
    if (!v) throw taskNotFound(id);
    return v;
  }
}
