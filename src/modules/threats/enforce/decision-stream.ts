import type { Db } from '../../../core/db/database.ts';
import { type FeedRow, feedFilter, type StreamFilters, streamBody } from './crowdsec-format.ts';
import { decisionFeedStore as store } from './decision-feed.store.ts';

export interface PullState {
  /** Change number the bouncer's previous pull ended at (null: never pulled). */
  lastSeq: number | null;
  /** Time of its previous pull, epoch ms (null: never). */
  lastPullAt: number | null;
}

export interface PullResult {
  /** The JSON body (`{"new": …, "deleted": …}`). */
  body: string;
  /** Change number to remember as this bouncer's `lastSeq`. */
  seq: number;
  added: number;
  deleted: number;
}

/**
 * One bouncer pull, with CrowdSec's startup and delta semantics. Startup (or a bouncer never seen, or a counter that
 * went backwards after a restore): every active enforced decision in `new`, `deleted` empty. Otherwise: decisions
 * created since the previous pull's change number in `new`; decisions removed since then, and those that reached
 * their end since the previous pull's time, in `deleted`. A removal is left out, and the active decision re-sent in
 * `new`, while another decision still bans the same value: a bouncer works by value and would otherwise lift a ban
 * that is still in force (for example an escalated ban replacing a shorter one).
 */
export async function pullDecisions(
  db: Db,
  opts: { now: number; startup: boolean; filters: StreamFilters } & PullState,
): Promise<PullResult> {
  const { now } = opts;
  const seq = await store.counter(db);
  const keep = feedFilter(opts.filters);
  if (opts.startup || opts.lastSeq === null || opts.lastPullAt === null || opts.lastSeq > seq) {
    const rows = (await store.active(db, now, seq)).filter(keep);
    return { body: streamBody(now, rows, []), seq, added: rows.length, deleted: 0 };
  }
  const { added, removed } = await store.changed(db, opts.lastSeq, seq, now);
  const expired = opts.lastPullAt < now ? await store.expiredBetween(db, opts.lastPullAt, now) : [];
  const goneById = new Map<string, FeedRow>();
  for (const r of [...removed, ...expired]) if (keep(r)) goneById.set(r.id, r);
  const addedRows = added.filter(keep);
  let gone = [...goneById.values()];
  if (gone.length > 0) {
    const held = (await store.activeOn(db, [...new Set(gone.map((r) => r.value))], now)).filter(keep);
    if (held.length > 0) {
      const heldValues = new Set(held.map((r) => r.value));
      gone = gone.filter((r) => !heldValues.has(r.value));
      const sent = new Set(addedRows.map((r) => r.id));
      for (const h of held) if (!sent.has(h.id)) addedRows.push(h);
    }
  }
  return { body: streamBody(now, addedRows, gone), seq, added: addedRows.length, deleted: gone.length };
}
