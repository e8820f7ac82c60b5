import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { sweepQueries } from './findings.store.ts';

/**
 * The SLA sweep runs every few minutes over every finding of the fleet (millions of rows at 1,000 hosts). Each of its
 * questions must be answerable from its partial index; a query edited so that its predicate no longer matches the
 * index's would scan the whole table again without any test noticing the slowness. PostgreSQL is asked with
 * sequential scans disabled (an empty table would otherwise be scanned), which still never uses an index whose
 * predicate the query does not imply.
 */
describe.each(DIALECTS)('the SLA sweep queries use their indexes on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeAll(async () => {
    if (!skip) t = await createTestApp(dialect, { env: { SKJOLD_ROLES: 'api' } });
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  async function plan(q: { compile(): CompiledQuery }): Promise<string> {
    const c = q.compile();
    return t.database.db.transaction().execute(async (trx) => {
      if (dialect === 'postgres') await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
      const prefix = dialect === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ';
      const r = await trx.executeQuery(CompiledQuery.raw(prefix + c.sql, [...c.parameters]));
      return r.rows.map((row) => Object.values(row as Record<string, unknown>).join(' ')).join('\n');
    });
  }

  const now = '2026-11-28T00:00:00.000Z';
  it.skipIf(skip).each([
    ['expired risk acceptances', () => sweepQueries.expiredAcceptances(t.database.db, now), 'vulns_findings_accepted_until'],
    ['deadlines passed', () => sweepQueries.deadlinesPassed(t.database.db, now), 'vulns_findings_sla_due'],
    ['deadlines turning near', () => sweepQueries.nearingDeadlines(t.database.db, now), 'vulns_findings_sla_near'],
    ['unsignalled deadlines', () => sweepQueries.unsignalledDeadlines(t.database.db), 'vulns_findings_sla_unsignalled'],
    ['unsignalled KEV findings', () => sweepQueries.unsignalledKev(t.database.db), 'vulns_findings_kev_unsignalled'],
  ])('%s', async (_what, query, index) => {
    expect(await plan(query())).toContain(index);
  });
});
