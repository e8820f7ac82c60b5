import type { Db } from '../../../core/db/database.ts';
import type { FeedRow } from './crowdsec-format.ts';

/**
 * Lean reads of `threats_decisions` for bouncers and firewalls: only the columns the outputs need, never simulated
 * decisions. Change numbers (`seq`) are handed out under the `decisions` counter's row lock and committed with the
 * decision, so once the counter reads C every change up to C is visible: a pull reads the counter first and then
 * exactly the changes up to it, and the next pull starts after C without gaps.
 */

const iso = (ms: number) => new Date(ms).toISOString();

const COLUMNS = ['seq', 'id', 'value', 'scope', 'origin', 'scenario', 'until'] as const;

type RawRow = { seq: number | string; id: string; value: string; scope: string; origin: string; scenario: string; until: string };

const toFeedRow = (r: RawRow): FeedRow => ({
  seq: Number(r.seq),
  id: r.id,
  value: r.value,
  scope: r.scope,
  origin: r.origin,
  scenario: r.scenario,
  until: Date.parse(r.until),
});

// PostgreSQL caps a statement at 65,535 parameters; SQLite at 32,766.
const IN_CHUNK = 500;

export const decisionFeedStore = {
  /** The latest change number (0 before any decision). */
  async counter(db: Db): Promise<number> {
    const r = await db.selectFrom('threats_counters').select('value').where('name', '=', 'decisions').executeTakeFirst();
    return Number(r?.value ?? 0);
  },

  /** Every enforced decision active at `now` (with a change number up to `maxSeq`, if given), oldest change first. */
  async active(db: Db, now: number, maxSeq?: number): Promise<FeedRow[]> {
    let q = db
      .selectFrom('threats_decisions')
      .select(COLUMNS)
      .where('deleted_at', 'is', null)
      .where('until', '>', iso(now))
      .where('simulated', '=', 0);
    if (maxSeq !== undefined) q = q.where('seq', '<=', maxSeq);
    const rows = await q.orderBy('seq').execute();
    return rows.map(toFeedRow);
  },

  /** Active enforced decisions on networks (scope `range`): the candidates for "is this address covered". */
  async activeRanges(db: Db, now: number): Promise<FeedRow[]> {
    const rows = await db
      .selectFrom('threats_decisions')
      .select(COLUMNS)
      .where('deleted_at', 'is', null)
      .where('until', '>', iso(now))
      .where('simulated', '=', 0)
      .where('scope', '=', 'range')
      .execute();
    return rows.map(toFeedRow);
  },

  /** How many enforced decisions are active at `now` (with the counter, what a blocklist's ETag is made of). */
  async activeCount(db: Db, now: number): Promise<number> {
    const r = await db
      .selectFrom('threats_decisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deleted_at', 'is', null)
      .where('until', '>', iso(now))
      .where('simulated', '=', 0)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  /**
   * When the set of enforced bans last changed, epoch ms (0: never): the latest creation, removal, or end that has
   * passed by `now`. What a blocklist's Last-Modified is made of.
   */
  async lastChange(db: Db, now: number): Promise<number> {
    const a = await db
      .selectFrom('threats_decisions')
      .select((eb) => [eb.fn.max('created_at').as('created'), eb.fn.max('deleted_at').as('deleted')])
      .where('simulated', '=', 0)
      .executeTakeFirst();
    const e = await db
      .selectFrom('threats_decisions')
      .select((eb) => eb.fn.max('until').as('ended'))
      .where('simulated', '=', 0)
      .where('deleted_at', 'is', null)
      .where('until', '<=', iso(now))
      .executeTakeFirst();
    const ms = (t: string | null | undefined) => (t ? Date.parse(t) : 0);
    return Math.max(ms(a?.created), ms(a?.deleted), ms(e?.ended));
  },

  /**
   * Changes with a number in (fromSeq, toSeq]: decisions created since (still active at `now`) and decisions removed
   * since (unbanned by a person, or replaced). Simulated decisions are never part of it.
   */
  async changed(db: Db, fromSeq: number, toSeq: number, now: number): Promise<{ added: FeedRow[]; removed: FeedRow[] }> {
    const rows = await db
      .selectFrom('threats_decisions')
      .select([...COLUMNS, 'deleted_at'])
      .where('seq', '>', fromSeq)
      .where('seq', '<=', toSeq)
      .where('simulated', '=', 0)
      .orderBy('seq')
      .execute();
    const added: FeedRow[] = [];
    const removed: FeedRow[] = [];
    for (const r of rows) {
      if (r.deleted_at !== null) removed.push(toFeedRow(r));
      else if (Date.parse(r.until) > now) added.push(toFeedRow(r));
    }
    return { added, removed };
  },

  /** Enforced decisions whose end fell in (from, to] without being removed: expiries a bouncer has not been told. */
  async expiredBetween(db: Db, from: number, to: number): Promise<FeedRow[]> {
    const rows = await db
      .selectFrom('threats_decisions')
      .select(COLUMNS)
      .where('deleted_at', 'is', null)
      .where('simulated', '=', 0)
      .where('until', '>', iso(from))
      .where('until', '<=', iso(to))
      .orderBy('seq')
      .execute();
    return rows.map(toFeedRow);
  },

  /** The active enforced decisions on any of `values` (to keep a bouncer from lifting a ban that another still holds). */
  async activeOn(db: Db, values: readonly string[], now: number): Promise<FeedRow[]> {
    const out: FeedRow[] = [];
    for (let i = 0; i < values.length; i += IN_CHUNK) {
      const rows = await db
        .selectFrom('threats_decisions')
        .select(COLUMNS)
        .where('value', 'in', values.slice(i, i + IN_CHUNK))
        .where('deleted_at', 'is', null)
        .where('until', '>', iso(now))
        .where('simulated', '=', 0)
        .execute();
      for (const r of rows) out.push(toFeedRow(r));
    }
    return out;
  },
};
