import { expect } from 'vitest';
import { describeMigrations } from '../../../../test/migrations.ts';
import { vulnsMigrations } from '../index.ts';

const AT = '2026-01-01T00:00:00.000Z';

const statement = (key: string, value: string, seq: number) => ({
  [key]: value,
  seq,
  vuln: `CVE-2026-000${seq}`,
  ecosystem: 'Debian:12',
  package: 'openssl',
  status: 'fixed',
  fixed: '3.0.15-1~deb12u1',
  ranges: null,
  versions: null,
  severity: 'high',
  urgency: 'high',
  note: null,
});

/**
 * Every registered vulns migration goes up on a fresh database (after the ones before it), on both databases, down to
 * exactly the schema before it and up again. 0006 keeps a feed's data in force across all three steps (under the
 * feed's id as its dataset); rows of an import still being written when it goes down are not kept.
 */
describeMigrations('vulns', vulnsMigrations, {
  requireDown: true,
  data: {
    '0006-feed-datasets': {
      async seed(db) {
        await db
          .insertInto('vulns_feeds')
          .values({
            id: 'f1',
            kind: 'debian-tracker',
            name: 'tracker',
            url: null,
            path: '/srv/tracker.json',
            ecosystems: '[]',
            interval_seconds: 3600,
            enabled: 1,
            status: 'ok',
            records: 1,
            stale_signalled: 0,
            created_at: AT,
            updated_at: AT,
          })
          .execute();
        await db
          .insertInto('vulns_statements')
          .values(statement('feed_id', 'f1', 1))
          .execute();
      },
      async check(db, after) {
        const rows = async (column: string): Promise<unknown[][]> => {
          const all = await db.selectFrom('vulns_statements').select([column, 'seq']).orderBy('seq').execute();
          return all.map((r: Record<string, unknown>) => [r[column], r['seq']]);
        };
        if (after === 'down') {
          expect(await rows('feed_id')).toEqual([['f1', 1]]);
          return;
        }
        expect(await db.selectFrom('vulns_feeds').select(['id', 'dataset']).execute()).toEqual([{ id: 'f1', dataset: 'f1' }]);
        expect(await rows('dataset')).toEqual([['f1', 1]]);
        if (after === 'up') {
          // An import under way: its dataset is not in force and goes on the way down.
          await db
            .insertInto('vulns_feed_datasets')
            .values({ dataset: 'next', feed_id: 'f1', state: 'staging', created_at: AT })
            .execute();
          await db
            .insertInto('vulns_statements')
            .values(statement('dataset', 'next', 2))
            .execute();
        }
      },
    },
  },
});
