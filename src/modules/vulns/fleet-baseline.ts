import { gunzipSync, gzipSync } from 'node:zlib';
import type { Db } from '../../core/db/database.ts';
import type { IndexPrints } from './match/advisory-index.ts';

/**
 * The matching rules' version. The statement-list digests say when the *data* a match reads changed; a change of the
 * rules themselves (a matcher or reconcile fix) is not in them, so a kept baseline of another version is ignored and
 * the next fleet run matches every asset whole. Bump it with every change to what a match or a priority computes.
 */
export const MATCHER_VERSION = 2;

const ROW_ID = 'fleet';

/** The index a fleet run brought every asset in line with, as kept in `vulns_fleet_baseline`. */
export interface FleetBaseline extends IndexPrints {
  /** Feed versions (kind → version) of that index. */
  feedVersions: Record<string, string>;
  /** Assets that run could not bring in line: matched whole on the next. */
  retry: readonly string[];
}

/** The kept baseline, or undefined when there is none (first run, or kept by other matching rules). */
export async function loadFleetBaseline(db: Db): Promise<FleetBaseline | undefined> {
  const row = await db.selectFrom('vulns_fleet_baseline').selectAll().where('id', '=', ROW_ID).executeTakeFirst();
  if (!row || row.matcher_version !== MATCHER_VERSION) return undefined;
  const entries = JSON.parse(gunzipSync(Buffer.from(row.prints, 'base64')).toString('utf8')) as [string, string][];
  return {
    ecosystems: JSON.parse(row.ecosystems) as string[],
    prints: new Map(entries),
    feedVersions: JSON.parse(row.feed_versions) as Record<string, string>,
    retry: JSON.parse(row.retry) as string[],
  };
}

/** Replace the kept baseline (after a fleet run). */
export async function saveFleetBaseline(db: Db, b: FleetBaseline, at: Date): Promise<void> {
  const row = {
    matcher_version: MATCHER_VERSION,
    ecosystems: JSON.stringify([...b.ecosystems].sort()),
    prints: gzipSync(JSON.stringify([...b.prints]), { level: 1 }).toString('base64'),
    feed_versions: JSON.stringify(b.feedVersions),
    retry: JSON.stringify([...b.retry].sort()),
    updated_at: at.toISOString(),
  };
  await db
    .insertInto('vulns_fleet_baseline')
    .values({ id: ROW_ID, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}
