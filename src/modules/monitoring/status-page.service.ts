import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { Severity } from '../../core/signals.ts';

const DAY = 86_400_000;
/** Days of bars per component (today included, as the last bar). */
export const STATUS_DAYS = 90;
/** How long a computed document is served from memory: customers refreshing during an outage cost one query set. */
export const STATUS_CACHE_MS = 30_000;

export type ComponentState = 'operational' | 'degraded' | 'outage';

/** One day's bar: uptime in percent (two decimals), null when no public monitor of the component was checked. */
export interface StatusDay {
  /** `YYYY-MM-DD` (UTC). */
  date: string;
  uptime: number | null;
}

export interface StatusComponent {
  name: string;
  state: ComponentState;
  /** Mean of the days that have data, over the 90 days; null when none has. */
  uptime90: number | null;
  /** 90 days, oldest first; the last is today (so far). */
  days: StatusDay[];
}

/** An open incident as customers see it: no summary, dedup key, target, details, notes or actors. */
export interface StatusIncident {
  /** Not the incident id: a one-way hash of it, so the public page cannot be used to probe the internal API. */
  id: string;
  component: string;
  /** English default title; the console words its own from `component` and `state`. */
  title: string;
  /** investigating (not yet acknowledged) or identified (acknowledged). */
  state: 'investigating' | 'identified';
  startedAt: string;
  /** When it was acknowledged (identified), if it was. */
  updatedAt: string | null;
}

/** The public status page's document (`GET /api/v1/status`). */
export interface StatusDocument {
  /** Provider name for the header (monitoring.statusTitle). */
  title: string;
  state: ComponentState;
  components: StatusComponent[];
  incidents: StatusIncident[];
  generatedAt: string;
}

/** What the status page needs from the incidents module (wired in app.ts from incidents' index.ts). */
export type OpenIncidentsReader = (
  db: Db,
  components: readonly string[],
) => Promise<
  {
    id: string;
    component: string;
    state: 'triggered' | 'acknowledged';
    severity: Severity;
    openedAt: string;
    acknowledgedAt: string | null;
  }[]
>;

const round2 = (n: number) => Math.round(n * 100) / 100;
const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const worst = (a: ComponentState, b: ComponentState): ComponentState =>
  a === 'outage' || b === 'outage' ? 'outage' : a === 'degraded' || b === 'degraded' ? 'degraded' : 'operational';

/**
 * Builds the public status page from monitors marked public (`publicComponent`), grouped by that name.
 *
 * - A component's day is its **worst** monitor's uptime that day (monitors without checks that day are left out):
 *   customers on the broken server had the outage, and an average over healthy siblings would hide it.
 * - Past days come from the daily aggregates; a day whose daily aggregate is not written yet (today, and yesterday
 *   until the rollup job has run) is summed from the hourly aggregates, which the rollup job keeps current.
 * - State: `outage` when every unpaused monitor of the component is down, `degraded` when some are, or when an
 *   open incident is on the component; otherwise `operational`. Paused monitors do not count.
 * - Open incidents are read through the incidents module (component, state and times only).
 *
 * The document is cached in memory for {@link STATUS_CACHE_MS}; concurrent misses share one computation.
 */
export class StatusPageService {
  #cached: { at: number; doc: Promise<StatusDocument> } | undefined;

  constructor(private readonly d: { clock: Clock; title: string; openIncidents: OpenIncidentsReader }) {}

  /** The document, from the cache when it is younger than {@link STATUS_CACHE_MS}. */
  document(db: Db): Promise<StatusDocument> {
    const now = this.d.clock.now().getTime();
    const c = this.#cached;
    if (c && now - c.at < STATUS_CACHE_MS && now >= c.at) return c.doc;
    const doc = this.compute(db, now);
    this.#cached = { at: now, doc };
    // A failed computation is not cached.
    doc.catch(() => {
      if (this.#cached?.doc === doc) this.#cached = undefined;
    });
    return doc;
  }

  /** Forget the cached document (tests, and after a change an operator wants to see at once). */
  invalidate(): void {
    this.#cached = undefined;
  }

  async compute(db: Db, now: number): Promise<StatusDocument> {
    const monitors = await db
      .selectFrom('monitoring_monitors')
      .select(['id', 'public_component', 'state', 'paused'])
      .where('public_component', 'is not', null)
      .execute();
    const today = Math.floor(now / DAY) * DAY;
    const first = today - (STATUS_DAYS - 1) * DAY;
    const dates = Array.from({ length: STATUS_DAYS }, (_, i) => dayKey(first + i * DAY));
    const ids = monitors.map((m) => m.id);

    // monitor → day → [count, failures]; daily aggregates first, hourly sums only for days without one.
    const daily = new Map<string, Map<string, [number, number]>>();
    const hourly = new Map<string, Map<string, [number, number]>>();
    const add = (into: Map<string, Map<string, [number, number]>>, id: string, day: string, count: number, failures: number) => {
      let m = into.get(id);
      if (!m) into.set(id, (m = new Map<string, [number, number]>()));
      const v = m.get(day) ?? [0, 0];
      m.set(day, [v[0] + Number(count), v[1] + Number(failures)]);
    };
    if (ids.length > 0) {
      const days = await db
        .selectFrom('monitoring_rollups')
        .select(['monitor_id', 'start', 'count', 'failures'])
        .where('bucket', '=', 'day')
        .where('monitor_id', 'in', ids)
        .where('start', '>=', new Date(first).toISOString())
        .where('start', '<', new Date(today + DAY).toISOString())
        .execute();
      for (const r of days) add(daily, r.monitor_id, r.start.slice(0, 10), r.count, r.failures);
      const hours = await db
        .selectFrom('monitoring_rollups')
        .select(['monitor_id', 'start', 'count', 'failures'])
        .where('bucket', '=', 'hour')
        .where('monitor_id', 'in', ids)
        .where('start', '>=', new Date(today - DAY).toISOString())
        .where('start', '<', new Date(today + DAY).toISOString())
        .execute();
      for (const r of hours) add(hourly, r.monitor_id, r.start.slice(0, 10), r.count, r.failures);
    }
    const countsOf = (id: string, day: string) => daily.get(id)?.get(day) ?? hourly.get(id)?.get(day);

    const byName = new Map<string, typeof monitors>();
    for (const m of monitors) {
      const name = m.public_component ?? '';
      byName.set(name, [...(byName.get(name) ?? []), m]);
    }
    const names = [...byName.keys()].sort((a, b) => a.localeCompare(b));
    const open = await this.d.openIncidents(db, names);
    const withIncident = new Set(open.map((i) => i.component));

    const components = names.map((name): StatusComponent => {
      const ms = byName.get(name) ?? [];
      const days = dates.map((date): StatusDay => {
        let low: number | null = null;
        for (const m of ms) {
          const c = countsOf(m.id, date);
          if (!c || c[0] === 0) continue;
          const u = (100 * (c[0] - c[1])) / c[0];
          low = low === null ? u : Math.min(low, u);
        }
        return { date, uptime: low === null ? null : round2(low) };
      });
      const known = days.filter((x) => x.uptime !== null).map((x) => x.uptime ?? 0);
      const active = ms.filter((m) => Number(m.paused) !== 1);
      const down = active.filter((m) => m.state === 'down').length;
      let state: ComponentState = down === 0 ? 'operational' : down === active.length ? 'outage' : 'degraded';
      if (withIncident.has(name)) state = worst(state, 'degraded');
      return {
        name,
        state,
        uptime90: known.length > 0 ? round2(known.reduce((a, b) => a + b, 0) / known.length) : null,
        days,
      };
    });

    const incidents = open.map((i): StatusIncident => ({
      id: createHash('sha256').update(`status-page:${i.id}`).digest('base64url').slice(0, 16),
      component: i.component,
      title: `${i.component}: service disruption`,
      state: i.state === 'acknowledged' ? 'identified' : 'investigating',
      startedAt: i.openedAt,
      updatedAt: i.acknowledgedAt,
    }));
    return {
      title: this.d.title,
      state: components.reduce<ComponentState>((s, c) => worst(s, c.state), 'operational'),
      components,
      incidents,
      generatedAt: new Date(now).toISOString(),
    };
  }
}
