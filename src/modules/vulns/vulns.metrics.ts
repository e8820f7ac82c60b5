import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import { needsAction } from './findings.store.ts';

/**
 * What the security officer graphs and alerts on: findings needing action by priority, SLA state and who operates the
 * asset (P14: customer-managed apart), how old each advisory feed's last good import is, and hosts that stopped
 * reporting. Counted when Prometheus scrapes (indexed counts), so nothing runs between scrapes.
 */
export function registerVulnsMetrics(registry: Registry, database: Database, clock: Clock): void {
  new Gauge({
    name: 'skjold_vulns_findings_open',
    help: 'Findings needing action (fix available or KEV, not triaged away, not resolved), by priority, SLA state and operator',
    labelNames: ['priority', 'sla', 'operated_by'] as const,
    registers: [registry],
    async collect() {
      // The findings list's own "needs action" rule (it joins the asset, as the list does).
      const rows = await database.db
        .selectFrom('vulns_findings as f')
        .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
        .select(['f.priority', 'f.sla_state', 'f.operated_by', (eb) => eb.fn.countAll<number>().as('n')])
        .where(needsAction)
        .groupBy(['f.priority', 'f.sla_state', 'f.operated_by'])
        .execute();
      this.reset();
      for (const r of rows) this.set({ priority: r.priority, sla: r.sla_state, operated_by: r.operated_by }, Number(r.n));
    },
  });
  new Gauge({
    name: 'skjold_vulns_feed_age_seconds',
    help: 'Seconds since each advisory feed last imported or confirmed its data (absent: never)',
    labelNames: ['feed', 'kind'] as const,
    registers: [registry],
    async collect() {
      const rows = await database.db.selectFrom('vulns_feeds').select(['name', 'kind', 'last_success_at']).execute();
      this.reset();
      const now = clock.now().getTime();
      for (const r of rows)
        if (r.last_success_at)
          this.set({ feed: r.name, kind: r.kind }, Math.max(0, (now - Date.parse(r.last_success_at)) / 1000));
    },
  });
  new Gauge({
    name: 'skjold_vulns_assets',
    help: 'Assets by whether they report (silent: a host-silent signal is firing)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await database.db
        .selectFrom('vulns_assets')
        .select(['silent_signalled', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('silent_signalled')
        .execute();
      this.set({ state: 'reporting' }, 0);
      this.set({ state: 'silent' }, 0);
      for (const r of rows) this.set({ state: Number(r.silent_signalled) === 1 ? 'silent' : 'reporting' }, Number(r.n));
    },
  });
}
