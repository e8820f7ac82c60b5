import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import type { ThreatsBouncersTable } from './threats.tables.ts';

/** Every bouncer key starts with this (API tokens `skj_`, probe tokens `skp_`), so a leaked one is recognised. */
export const BOUNCER_KEY_PREFIX = 'skb_';
const BOUNCER_KEY_RE = /^skb_[A-Za-z0-9_-]{43}$/;
/** The header CrowdSec bouncers send their key in. */
export const BOUNCER_KEY_HEADER = 'x-api-key';

/** Names as CrowdSec's `cscli bouncers add NAME` takes them: letters, digits, `.`, `_`, `-`, `@`. */
export const BOUNCER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** How often a bouncer's address and user agent are written when nothing else changes (it polls every ~10 s). */
const SEEN_WRITE_MS = 60_000;

/** A bouncer as the API shows it (never its key). */
export interface Bouncer {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  /** Last decisions stream pull; null: never. */
  lastPullAt: string | null;
  lastIp: string | null;
  userAgent: string | null;
}

/** A bouncer just made: `apiKey` is the only time the secret is shown. */
export interface BouncerWithKey extends Bouncer {
  apiKey: string;
}

/** The stored form of a key. */
export function hashBouncerKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const view = (r: ThreatsBouncersTable): Bouncer => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  createdBy: r.created_by,
  lastPullAt: r.last_pull_at,
  lastIp: r.last_ip,
  userAgent: r.user_agent,
});

/**
 * Bouncer API keys: what lets a CrowdSec bouncer (or a firewall's cron job) pull Skjold's decisions. A key is
 * `skb_` + 256 random bits, shown once; only its SHA-256 is stored, so a database dump does not hand out keys.
 */
export class BouncersService {
  /** When each bouncer's address was last written (per process; losing it only costs one extra write). */
  readonly #seenWritten = new Map<string, number>();

  constructor(private readonly deps: { clock: Clock }) {}

  async create(db: Db, input: { name: string }, createdBy: string, audit: AuditRecorder): Promise<BouncerWithKey> {
    if (!BOUNCER_NAME_RE.test(input.name))
      throw invalid('invalid_bouncer_name', 'a bouncer name is 1–64 letters, digits, . _ - @');
    const existing = await db.selectFrom('threats_bouncers').select('id').where('name', '=', input.name).executeTakeFirst();
    if (existing) throw conflict('bouncer_exists', `a bouncer named ${input.name} already exists`);
    const apiKey = `${BOUNCER_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row: ThreatsBouncersTable = {
      id: randomUUID(),
      name: input.name,
      key_hash: hashBouncerKey(apiKey),
      created_at: this.deps.clock.now().toISOString(),
      created_by: createdBy,
      last_pull_at: null,
      last_pull_seq: null,
      last_ip: null,
      user_agent: null,
    };
    await db.insertInto('threats_bouncers').values(row).execute();
    audit.target(`threat_bouncer:${row.id}`);
    audit.change({ type: 'threat_bouncer', id: row.id, after: { ...view(row) } });
    return { ...view(row), apiKey };
  }

  async list(db: Db): Promise<Bouncer[]> {
    const rows = await db.selectFrom('threats_bouncers').selectAll().orderBy('name').execute();
    return rows.map(view);
  }

  /** Delete a bouncer: its key stops working at once. */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const row = await db.selectFrom('threats_bouncers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('bouncer_not_found', `no bouncer ${id}`);
    await db.deleteFrom('threats_bouncers').where('id', '=', id).execute();
    this.#seenWritten.delete(id);
    audit.target(`threat_bouncer:${id}`);
    audit.change({ type: 'threat_bouncer', id, before: { ...view(row) }, after: null });
  }

  /**
   * The bouncer holding `key`, or null. The lookup goes by the key's SHA-256 (indexed); the stored hash is then
   * compared in constant time, so neither step tells an attacker how close a guess was. The caller's address and
   * user agent are written at most once a minute (or at once when they change).
   */
  async authenticate(
    db: Db,
    key: string | undefined,
    from: { ip: string; userAgent?: string | undefined },
  ): Promise<ThreatsBouncersTable | null> {
    if (typeof key !== 'string' || !BOUNCER_KEY_RE.test(key)) return null;
    const hash = hashBouncerKey(key);
    const row = await db.selectFrom('threats_bouncers').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    const now = this.deps.clock.now().getTime();
    const ip = from.ip.slice(0, 64);
    const ua = from.userAgent?.slice(0, 200) ?? null;
    const written = this.#seenWritten.get(row.id) ?? 0;
    if (row.last_ip !== ip || row.user_agent !== ua || now - written >= SEEN_WRITE_MS) {
      await db.updateTable('threats_bouncers').set({ last_ip: ip, user_agent: ua }).where('id', '=', row.id).execute();
      this.#seenWritten.set(row.id, now);
      return { ...row, last_ip: ip, user_agent: ua };
    }
    return row;
  }

  /** Where the bouncer's previous stream pull ended, read afresh (null when the bouncer is gone). */
  async pullMark(db: Db, id: string): Promise<{ seq: number | null; at: string | null } | null> {
    const r = await db
      .selectFrom('threats_bouncers')
      .select(['last_pull_seq', 'last_pull_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? { seq: r.last_pull_seq === null ? null : Number(r.last_pull_seq), at: r.last_pull_at } : null;
  }

  /**
   * Remember where a stream pull ended (change number and time): the next delta starts there. Written on every pull,
   * as CrowdSec does: a delta computed from an older mark would send changes twice, or miss expiries.
   */
  async recordPull(db: Db, id: string, seq: number, at: number): Promise<void> {
    await db
      .updateTable('threats_bouncers')
      .set({ last_pull_seq: seq, last_pull_at: new Date(at).toISOString() })
      .where('id', '=', id)
      .execute();
  }
}
