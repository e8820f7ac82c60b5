import { earlier, later } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { CampaignScope, EntryFacts, ReviewFlag, ReviewScope } from './reviews.model.ts';

/**
 * Freezing a campaign's scope (issue 6 item 6): what access exists right now, as facts that will not change when grants
 * do later, with the flags that draw a reviewer's eye and the reviewer each entry goes to.
 */

export interface FrozenEntry {
  subjectKey: string;
  facts: EntryFacts;
  flags: ReviewFlag[];
  reviewerId: string | null;
}

interface PersonRow {
  id: string;
  name: string;
  email: string | null;
  status: string;
  manager_id: string | null;
}

/** One imported account, as the ACCOUNTS part stores it (read through `AccountSource`). */
export interface AccountFact {
  id: string;
  systemId: string;
  name: string;
  personId: string | null;
  lastUsedAt: string | null;
  firstSeenAt: string;
}

/** Where imported accounts come from (the ACCOUNTS part's table); absent until that part exists. */
export type AccountSource = (db: Db, systemIds: string[]) => Promise<AccountFact[]>;

export interface FreezeInput {
  scope: ReviewScope;
  privilegedOnly: boolean;
  reviewerRule: 'system-owner' | 'manager';
  inactiveDays: number;
  systemIds: string[];
  siteIds: string[];
  now: Date;
  /** subject key → level and privilege in the policy's previous closed campaign (null: no previous campaign). */
  previous: Map<string, { level: string | null; privileged: boolean }> | null;
  accounts?: AccountSource | undefined;
}

const DAY = 86_400_000;

/**
 * What is known about the use of one entry's access: its latest recorded use (an import's last-login column, a
 * successful login event, a granted badge event), since when the access exists, and since when the system or site has
 * any use data at all (the earliest use or login attempt it records; null: none, no source of use data).
 */
interface UseFacts {
  lastUse: string | null;
  accessSince: string;
  watchedSince: string | null;
}

/**
 * "inactive (no use in N days)": the latest use is older than N days; or nothing was ever seen used although both the
 * access and the use data reach back more than N days. With no use recorded and no use data at all for the system or
 * site, the entry says so ("no-use-data") rather than passing as active. Access younger than N days, or use data
 * younger than N days, with no use seen yet, is neither: there have not been N days to watch.
 */
function useFlag(use: UseFacts, input: FreezeInput): 'inactive' | 'no-use-data' | null {
  const limit = input.now.getTime() - input.inactiveDays * DAY;
  if (use.lastUse) return Date.parse(use.lastUse) < limit ? 'inactive' : null;
  if (use.watchedSince === null) return 'no-use-data';
  return Math.max(Date.parse(use.accessSince), Date.parse(use.watchedSince)) < limit ? 'inactive' : null;
}

/** Login events per system: the latest successful login per account name and per person, and the earliest event at all. */
async function loginUse(db: Db, systemIds: string[]) {
  const rows = await db
    .selectFrom('access_login_events')
    .select([
      'system_id',
      'account',
      'person_id',
      'outcome',
      (eb) => eb.fn.max('occurred_at').as('last'),
      (eb) => eb.fn.min('occurred_at').as('first'),
    ])
    .where('system_id', 'in', systemIds)
    .groupBy(['system_id', 'account', 'person_id', 'outcome'])
    .execute();
  const byAccount = new Map<string, string>();
  const byPerson = new Map<string, string>();
  const firstEvent = new Map<string, string>();
  for (const r of rows) {
    const first = String(r.first);
    firstEvent.set(r.system_id, earlier(firstEvent.get(r.system_id) ?? null, first) ?? first);
    if (r.outcome !== 'succeeded') continue;
    const last = String(r.last);
    const ka = `${r.system_id}\n${r.account}`;
    byAccount.set(ka, later(byAccount.get(ka) ?? null, last) ?? last);
    if (r.person_id) {
      const kp = `${r.system_id}\n${r.person_id}`;
      byPerson.set(kp, later(byPerson.get(kp) ?? null, last) ?? last);
    }
  }
  return { byAccount, byPerson, firstEvent };
}

/** The reviewer for an entry: never the person reviewed (then their manager; else nobody, and campaign managers decide). */
function pickReviewer(
  rule: 'system-owner' | 'manager',
  ownerId: string | null,
  person: PersonRow | undefined,
  people: Map<string, PersonRow>,
): string | null {
  let reviewer = rule === 'system-owner' ? (ownerId ?? person?.manager_id ?? null) : (person?.manager_id ?? ownerId ?? null);
  if (reviewer && person && reviewer === person.id) reviewer = person.manager_id;
  if (reviewer && !people.has(reviewer)) reviewer = null;
  return reviewer && reviewer !== person?.id ? reviewer : null;
}

function flagsOf(
  facts: EntryFacts,
  subjectKey: string,
  input: FreezeInput,
  use: UseFacts,
  person: PersonRow | undefined,
): ReviewFlag[] {
  const flags: ReviewFlag[] = [];
  if (facts.kind === 'account' && !facts.personId) flags.push('orphaned');
  if (facts.kind === 'account' && facts.personId) flags.push('no-grant');
  const used = useFlag(use, input);
  if (used) flags.push(used);
  if (facts.privileged && !facts.onPrivilegedList) flags.push('excessive');
  if (person?.status === 'left') flags.push('leaver');
  if (input.previous) {
    const before = input.previous.get(subjectKey);
    if (!before) flags.push('new');
    else if (before.level !== facts.level || before.privileged !== facts.privileged) flags.push('changed');
  }
  return flags;
}

/** The campaign's entries and its frozen scope, read in the caller's transaction. */
export async function freezeScope(
  db: Db,
  input: FreezeInput,
): Promise<{ targets: CampaignScope['targets']; entries: FrozenEntry[] }> {
  const peopleRows = await db.selectFrom('access_people').select(['id', 'name', 'email', 'status', 'manager_id']).execute();
  const people = new Map(peopleRows.map((p) => [p.id, p]));
  const privileged = new Set((await db.selectFrom('access_privileged').select('person_id').execute()).map((r) => r.person_id));
  const entries: FrozenEntry[] = [];
  const personFacts = (id: string | null) => {
    const p = id ? people.get(id) : undefined;
    return {
      person: p,
      facts: {
        personId: id,
        personName: p?.name ?? null,
        personEmail: p?.email ?? null,
        personStatus: p?.status ?? null,
        onPrivilegedList: id ? privileged.has(id) : false,
      },
    };
  };

  if (input.scope === 'logical') {
    let sq = db.selectFrom('access_systems').select(['id', 'name', 'owner_id']).orderBy('name');
    if (input.systemIds.length) sq = sq.where('id', 'in', input.systemIds);
    const systems = await sq.execute();
    const targets = systems.map((s) => ({ id: s.id, name: s.name }));
    if (systems.length === 0) return { targets, entries };
    const systemIds = systems.map((s) => s.id);
    let gq = db
      .selectFrom('access_grants')
      .selectAll()
      .where('state', '=', 'active')
      .where('system_id', 'in', systemIds)
      .orderBy('created_at')
      .orderBy('id');
    if (input.privilegedOnly) gq = gq.where('privileged', '=', 1);
    const grants = await gq.execute();
    const accounts = input.accounts ? await input.accounts(db, systemIds) : [];
    // Login events are the ACCOUNTS part's too: read only when that part is there. They count even for an account
    // imported after them, or for a grant whose person logs in under a name no import listed.
    const logins = input.accounts ? await loginUse(db, systemIds) : null;
    const watched = new Map<string, string | null>();
    for (const id of systemIds) watched.set(id, logins?.firstEvent.get(id) ?? null);
    for (const a of accounts) watched.set(a.systemId, earlier(watched.get(a.systemId) ?? null, a.lastUsedAt));
    const lastUseOf = (systemId: string, account: AccountFact | undefined, personId: string | null) => {
      let last = account?.lastUsedAt ?? null;
      if (account) last = later(last, logins?.byAccount.get(`${systemId}\n${account.name}`));
      if (personId) last = later(last, logins?.byPerson.get(`${systemId}\n${personId}`));
      return last;
    };
    // An account belongs to a grant when it is the same person on the same system.
    const accountOf = new Map<string, AccountFact>();
    for (const a of accounts) {
      if (!a.personId) continue;
      const k = `${a.personId}:${a.systemId}`;
      const prev = accountOf.get(k);
      if (!prev || (a.lastUsedAt ?? '') > (prev.lastUsedAt ?? '')) accountOf.set(k, a);
    }
    const granted = new Set<string>();
    const seen = new Map<string, number>();
    for (const s of systems) {
      const sGrants = grants.filter((g) => g.system_id === s.id);
      sGrants.sort((a, b) => (people.get(a.person_id)?.name ?? '').localeCompare(people.get(b.person_id)?.name ?? ''));
      for (const g of sGrants) {
        granted.add(`${g.person_id}:${g.system_id}`);
        const acct = accountOf.get(`${g.person_id}:${g.system_id}`);
        const { person, facts: pf } = personFacts(g.person_id);
        const lastUse = lastUseOf(s.id, acct, g.person_id);
        const facts: EntryFacts = {
          kind: 'grant',
          ...pf,
          targetId: s.id,
          targetName: s.name,
          level: g.level,
          privileged: g.privileged === 1,
          grantId: g.id,
          grantStartsAt: g.starts_at,
          grantExpiresAt: g.expires_at,
          justification: g.justification,
          accountId: acct?.id ?? null,
          account: acct?.name ?? null,
          lastUsedAt: lastUse,
        };
        // Two grants of one person on one system (two levels) stay two subjects.
        const base = `grant:${g.person_id}:${s.id}`;
        const n = (seen.get(base) ?? 0) + 1;
        seen.set(base, n);
        const subjectKey = n === 1 ? base : `${base}:${n}`;
        // The access exists since the grant started, or since its account was first seen if that was earlier.
        const use = {
          lastUse,
          accessSince: earlier(g.starts_at, acct?.firstSeenAt) ?? g.starts_at,
          watchedSince: watched.get(s.id) ?? null,
        };
        entries.push({
          subjectKey,
          facts,
          flags: flagsOf(facts, subjectKey, input, use, person),
          reviewerId: pickReviewer(input.reviewerRule, s.owner_id, person, people),
        });
      }
      if (input.privilegedOnly) continue;
      // Accounts with no grant behind them: nobody's (orphaned), or someone's without a grant.
      for (const a of accounts.filter((x) => x.systemId === s.id)) {
        if (a.personId && granted.has(`${a.personId}:${s.id}`)) continue;
        const { person, facts: pf } = personFacts(a.personId);
        const lastUse = lastUseOf(s.id, a, null);
        const facts: EntryFacts = {
          kind: 'account',
          ...pf,
          targetId: s.id,
          targetName: s.name,
          level: null,
          privileged: false,
          grantId: null,
          grantStartsAt: null,
          grantExpiresAt: null,
          justification: null,
          accountId: a.id,
          account: a.name,
          lastUsedAt: lastUse,
        };
        const subjectKey = `account:${s.id}:${a.name}`;
        entries.push({
          subjectKey,
          facts,
          flags: flagsOf(
            facts,
            subjectKey,
            input,
            { lastUse, accessSince: a.firstSeenAt, watchedSince: watched.get(s.id) ?? null },
            person,
          ),
          // Nobody's account: the system's owner decides whatever the rule.
          reviewerId: a.personId ? pickReviewer(input.reviewerRule, s.owner_id, person, people) : (s.owner_id ?? null),
        });
      }
    }
    return { targets, entries };
  }

  // Physical: site access grants per person per site.
  let sq = db.selectFrom('access_sites').select(['id', 'name', 'owner_id']).orderBy('name');
  if (input.siteIds.length) sq = sq.where('id', 'in', input.siteIds);
  const sites = await sq.execute();
  const targets = sites.map((s) => ({ id: s.id, name: s.name }));
  if (sites.length === 0) return { targets, entries };
  const grants = await db
    .selectFrom('access_site_grants')
    .selectAll()
    .where('state', '=', 'active')
    .where(
      'site_id',
      'in',
      sites.map((s) => s.id),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  // Last badge use per person and site, for "inactive"; the site's earliest badge event of any kind shows since when
  // the access-card system reports on it (none: no use data for the site).
  const lastUse = new Map<string, string>();
  const siteIds = sites.map((s) => s.id);
  const uses = await db
    .selectFrom('access_badge_events')
    .select(['person_id', 'site_id', (eb) => eb.fn.max('occurred_at').as('last')])
    .where('result', '=', 'granted')
    .where('person_id', 'is not', null)
    .where('site_id', 'in', siteIds)
    .groupBy(['person_id', 'site_id'])
    .execute();
  for (const u of uses) if (u.person_id && u.last) lastUse.set(`${u.person_id}:${u.site_id}`, String(u.last));
  const watched = new Map<string, string>();
  const firsts = await db
    .selectFrom('access_badge_events')
    .select(['site_id', (eb) => eb.fn.min('occurred_at').as('first')])
    .where('site_id', 'in', siteIds)
    .groupBy('site_id')
    .execute();
  for (const f of firsts) if (f.site_id && f.first) watched.set(f.site_id, String(f.first));
  for (const s of sites) {
    const sGrants = grants.filter((g) => g.site_id === s.id);
    sGrants.sort((a, b) => (people.get(a.person_id)?.name ?? '').localeCompare(people.get(b.person_id)?.name ?? ''));
    for (const g of sGrants) {
      const { person, facts: pf } = personFacts(g.person_id);
      const last = lastUse.get(`${g.person_id}:${s.id}`) ?? null;
      const facts: EntryFacts = {
        kind: 'site-grant',
        ...pf,
        targetId: s.id,
        targetName: s.name,
        level: null,
        privileged: false,
        grantId: g.id,
        grantStartsAt: g.starts_at,
        grantExpiresAt: g.expires_at,
        justification: g.justification,
        accountId: null,
        account: null,
        lastUsedAt: last,
      };
      const subjectKey = `site:${g.person_id}:${s.id}`;
      entries.push({
        subjectKey,
        facts,
        flags: flagsOf(
          facts,
          subjectKey,
          input,
          { lastUse: last, accessSince: g.starts_at, watchedSince: watched.get(s.id) ?? null },
          person,
        ),
        reviewerId: pickReviewer(input.reviewerRule, s.owner_id, person, people),
      });
    }
  }
  return { targets, entries };
}
