import { expect } from 'vitest';
import { describeMigrations } from '../../../../test/migrations.ts';
import { vulnsMigrations } from '../index.ts';
import { slaNearAt } from '../policy/sla.ts';
import { legacyFindingRow } from './finding-row.test-data.ts';

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

/** A finding row before 0007, with the SLA columns that migration reads. */
const finding = (id: string, sla: { state: string; due: string | null; detected: string; fix: string | null }) =>
  legacyFindingRow(id, {
    sla_due_at: sla.due,
    sla_state: sla.state,
    fix_available_at: sla.fix,
    first_detected_at: sla.detected,
    last_detected_at: sla.detected,
  });

/**
 * Every registered vulns migration goes up on a fresh database (after the ones before it), on both databases, down to
 * exactly the schema before it and up again. 0006 keeps a feed's data in force across all three steps (under the
 * feed's id as its dataset); rows of an import still being written when it goes down are not kept. 0007 gives each
 * open finding still `ok` the instant it turns near, computed by the database the way `slaNearAt` does it.
 */
describeMigrations('vulns', vulnsMigrations, {
  requireDown: true,
  data: {
    '0007-sla-near-at': {
      async seed(db) {
        await db
          .insertInto('vulns_findings')
          .values([
            // A 30-day window: near for its last 6 days.
            finding('1', { state: 'ok', due: '2026-03-31T08:00:00.000Z', detected: '2026-03-01T08:00:00.000Z', fix: null }),
            // The window runs from the fix (later than detection); 2 days: near for its last 24 h.
            finding('2', {
              state: 'ok',
              due: '2026-03-05T12:30:15.250Z',
              detected: '2026-03-01T00:00:00.000Z',
              fix: '2026-03-03T12:30:15.250Z',
            }),
            // Already near; no deadline: nothing to ask the sweep.
            finding('3', { state: 'near', due: '2026-03-02T08:00:00.000Z', detected: '2026-02-01T08:00:00.000Z', fix: null }),
            finding('4', { state: 'none', due: null, detected: '2026-03-01T08:00:00.000Z', fix: null }),
          ])
          .execute();
      },
      async check(db, after) {
        if (after === 'down') return;
        const rows = await db.selectFrom('vulns_findings').select(['id', 'sla_near_at']).orderBy('id').execute();
        const near = (due: string, start: string) => slaNearAt(due, { start })?.getTime();
        const at = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : null);
        expect(rows.map((r: { id: string; sla_near_at: unknown }) => [r.id, at(r.sla_near_at)])).toEqual([
          ['1', near('2026-03-31T08:00:00.000Z', '2026-03-01T08:00:00.000Z')],
          ['2', near('2026-03-05T12:30:15.250Z', '2026-03-03T12:30:15.250Z')],
          ['3', null],
          ['4', null],
        ]);
        expect(at(rows[0]?.sla_near_at)).toBe(Date.parse('2026-03-25T08:00:00.000Z'));
      },
    },
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
