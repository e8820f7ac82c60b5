import type { Db } from '../../core/db/database.ts';

/**
 * Who an account belongs to and what it is allowed (issue 6 item 3). Reads the people and grants tables directly
 * (same module): a person matches an account when one of their identifiers is the account name (also without a
 * `DOMAIN\` prefix or `@domain` suffix), or when their e-mail is the account's e-mail or the account name itself.
 */

export interface MatchedPerson {
  id: string;
  name: string;
  status: string;
  leftAt: string | null;
}

export interface PeopleIndex {
  byId: Map<string, MatchedPerson>;
  match(account: string, email: string | null): MatchedPerson | null;
}

export async function loadPeopleIndex(db: Db): Promise<PeopleIndex> {
  const rows = await db.selectFrom('access_people').select(['id', 'name', 'email', 'status', 'left_at', 'identifiers']).execute();
  const byId = new Map<string, MatchedPerson>();
  const byIdentifier = new Map<string, MatchedPerson>();
  const byEmail = new Map<string, MatchedPerson>();
  for (const r of rows) {
    const p: MatchedPerson = { id: r.id, name: r.name, status: r.status, leftAt: r.left_at };
    byId.set(r.id, p);
    if (r.email) byEmail.set(r.email.toLowerCase(), p);
    let ids: unknown;
    try {
      ids = JSON.parse(r.identifiers);
    } catch {
      ids = [];
    }
    if (Array.isArray(ids)) for (const i of ids) if (typeof i === 'string') byIdentifier.set(i.toLowerCase(), p);
  }
  const bare = (a: string) => {
    const slash = a.lastIndexOf('\\');
    const s = slash >= 0 ? a.slice(slash + 1) : a;
    const at = s.indexOf('@');
    return at > 0 ? s.slice(0, at) : s;
  };
  return {
    byId,
    match(account, email) {
      const a = account.toLowerCase();
      return (
        byIdentifier.get(a) ??
        byIdentifier.get(bare(a)) ??
        (email ? byEmail.get(email.toLowerCase()) : undefined) ??
        byEmail.get(a) ??
        null
      );
    },
  };
}

export interface ValidGrant {
  id: string;
  personId: string;
  systemId: string;
  level: string;
  privileged: boolean;
  expiresAt: string | null;
}

/**
 * Grants valid at `at` (ISO) on the given systems (all when omitted), by `systemId:personId`: active now, or — for a
 * past time — active then (started, not yet expired nor ended). Pending and rejected grants were never valid.
 */
export async function validGrants(db: Db, at: string, systemIds?: string[]): Promise<Map<string, ValidGrant[]>> {
  let q = db
    .selectFrom('access_grants')
    .select(['id', 'person_id', 'system_id', 'level', 'privileged', 'expires_at', 'state', 'ended_at'])
    .where('state', 'in', ['active', 'expired', 'revoked'])
    .where('starts_at', '<=', at)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
    .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', at)]));
  if (systemIds) {
    if (systemIds.length === 0) return new Map();
    q = q.where('system_id', 'in', systemIds);
  }
  const out = new Map<string, ValidGrant[]>();
  for (const r of await q.execute()) {
    const k = `${r.system_id}:${r.person_id}`;
    const g: ValidGrant = {
      id: r.id,
      personId: r.person_id,
      systemId: r.system_id,
      level: r.level,
      privileged: Number(r.privileged) === 1,
      expiresAt: r.expires_at,
    };
    const list = out.get(k);
    if (list) list.push(g);
    else out.set(k, [g]);
  }
  return out;
}
