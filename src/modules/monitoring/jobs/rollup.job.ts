import { sql } from 'kysely';
import type { Clock } from '../../../core/clock.ts';
import type { Database, Db } from '../../../core/db/database.ts';
import type { MonitoringConfig } from '../monitoring.config.ts';
import { monitoringStore, type RollupsTable } from '../monitoring.store.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Monitors aggregated per query: bounds the rows held in memory (200 monitors × 1440 checks a day). */
const MONITOR_CHUNK = 200;
/** Most hours or days caught up per run (a long outage is worked off over several runs). */
const MAX_BUCKETS_PER_RUN = 72;

export interface RollupResult {
  hoursRolled: number;
  daysRolled: number;
  completenessRows: number;
  rawDeleted: number;
  rollupsDeleted: number;
}

/** Receives each monitor's checks expected vs executed per day (the incidents module's completeness record). */
export type CompletenessReporter = (
  db: Db,
  c: { day: string; source: string; subject: string; expected: number; executed: number },
) => Promise<void>;

const iso = (ms: number) => new Date(ms).toISOString();

/** count, failures, min/avg/max/p95 of response times (p95: nearest rank). */
export function summarize(
  samples: { ok: number; ms: number | null }[],
): Omit<RollupsTable, 'monitor_id' | 'location' | 'bucket' | 'start'> {
  const times = samples.flatMap((s) => (s.ms === null ? [] : [s.ms])).sort((a, b) => a - b);
  const n = times.length;
  return {
    count: samples.length,
    failures: samples.filter((s) => s.ok === 0).length,
    min_ms: n ? times[0]! : null,
    avg_ms: n ? Math.round(times.reduce((a, b) => a + b, 0) / n) : null,
    max_ms: n ? times[n - 1]! : null,
    p95_ms: n ? times[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]! : null,
  };
}

/**
 * The rollup and retention job: hourly aggregates (the current hour is redone each run, so lists stay fresh), daily
 * aggregates for completed days, the daily completeness record (checks expected vs executed, deviations vs registered
 * signals), then deletion past each retention. Raw rows are deleted only once both aggregates covering them are final.
 * `perform(now)` is what the timer calls; tests call it directly.
 */
export class RollupJob {
  readonly id = 'monitoring.rollup';

  constructor(
    private readonly d: {
      database: Database;
      clock: Clock;
      config: MonitoringConfig;
      reportCompleteness?: CompletenessReporter | undefined;
    },
  ) {}

  async perform(now = this.d.clock.now().getTime()): Promise<RollupResult> {
    const db = this.d.database.db;
    const out: RollupResult = { hoursRolled: 0, daysRolled: 0, completenessRows: 0, rawDeleted: 0, rollupsDeleted: 0 };
    const oldestRaw = now - this.d.config.rawRetentionDays * DAY;
    const currentHour = Math.floor(now / HOUR) * HOUR;
    const today = Math.floor(now / DAY) * DAY;

    // Hours: from the watermark (final up to there) through the current, partial hour.
    const hourMark = await monitoringStore.getWatermark(db, 'rollup.hour');
    let h = hourMark
      ? Date.parse(hourMark)
      : Math.max(Math.floor(oldestRaw / HOUR) * HOUR, await this.#firstResultAt(db, HOUR, currentHour));
    for (let n = 0; h <= currentHour && n < MAX_BUCKETS_PER_RUN; h += HOUR, n++) {
      await this.#roll(db, 'hour', h, h + HOUR);
      out.hoursRolled++;
      if (h + HOUR <= now) await monitoringStore.setWatermark(db, 'rollup.hour', iso(h + HOUR));
    }

    // Days: completed ones only (from raw results, once), plus today's completeness so far.
    const dayMark = await monitoringStore.getWatermark(db, 'rollup.day');
    // First run: from the first result or the first monitor's creation, whichever is older (a day with no results
    // at all must still show its expected checks).
    let d = dayMark
      ? Date.parse(dayMark)
      : Math.max(
          Math.floor(oldestRaw / DAY) * DAY,
          Math.min(await this.#firstResultAt(db, DAY, today), await this.#firstMonitorDay(db, today)),
        );
    for (let n = 0; d < today && n < MAX_BUCKETS_PER_RUN; d += DAY, n++) {
      await this.#roll(db, 'day', d, d + DAY);
      out.completenessRows += await this.#completeness(db, d, d + DAY);
      await monitoringStore.setWatermark(db, 'rollup.day', iso(d + DAY));
      out.daysRolled++;
    }
    out.completenessRows += await this.#completeness(db, today, now);

    // Retention. Raw rows go only when older than the retention AND already rolled into both aggregates.
    const hourDone = Date.parse((await monitoringStore.getWatermark(db, 'rollup.hour')) ?? iso(0));
    const dayDone = Date.parse((await monitoringStore.getWatermark(db, 'rollup.day')) ?? iso(0));
    const rawCut = iso(Math.min(oldestRaw, hourDone, dayDone));
    const raw = await db.deleteFrom('monitoring_results').where('at', '<', rawCut).executeTakeFirst();
    out.rawDeleted = Number(raw.numDeletedRows);
    const hours = await db
      .deleteFrom('monitoring_rollups')
      .where('bucket', '=', 'hour')
      .where('start', '<', iso(now - this.d.config.hourlyRetentionDays * DAY))
      .executeTakeFirst();
    const days = await db
      .deleteFrom('monitoring_rollups')
      .where('bucket', '=', 'day')
      .where('start', '<', iso(now - this.d.config.dailyRetentionDays * DAY))
      .executeTakeFirst();
    out.rollupsDeleted = Number(hours.numDeletedRows) + Number(days.numDeletedRows);
    await db
      .deleteFrom('monitoring_completeness')
      .where('day', '<', iso(now - this.d.config.dailyRetentionDays * DAY).slice(0, 10))
      .execute();
    return out;
  }

  /** Start of the bucket holding the oldest raw result (or `fallback` when there is none). */
  async #firstResultAt(db: Db, size: number, fallback: number): Promise<number> {
    const r = await db
      .selectFrom('monitoring_results')
      .select((eb) => eb.fn.min('at').as('first'))
      .executeTakeFirst();
    const first = r?.first as string | null | undefined;
    return first ? Math.floor(Date.parse(first) / size) * size : fallback;
  }

  async #firstMonitorDay(db: Db, fallback: number): Promise<number> {
    const r = await db
      .selectFrom('monitoring_monitors')
      .select((eb) => eb.fn.min('created_at').as('first'))
      .executeTakeFirst();
    const first = r?.first as string | null | undefined;
    return first ? Math.floor(Date.parse(first) / DAY) * DAY : fallback;
  }

  /** Aggregate raw results in [from, to) into one bucket row per monitor and location (upsert). */
  async #roll(db: Db, bucket: 'hour' | 'day', from: number, to: number): Promise<void> {
    const ids = (await db.selectFrom('monitoring_monitors').select('id').orderBy('id').execute()).map((r) => r.id);
    for (let i = 0; i < ids.length; i += MONITOR_CHUNK) {
      const chunk = ids.slice(i, i + MONITOR_CHUNK);
      const rows = await db
        .selectFrom('monitoring_results')
        .select(['monitor_id', 'location', 'ok', 'response_ms'])
        .where('monitor_id', 'in', chunk)
        .where('at', '>=', iso(from))
        .where('at', '<', iso(to))
        .execute();
      const groups = new Map<string, { monitor_id: string; location: string; samples: { ok: number; ms: number | null }[] }>();
      for (const r of rows) {
        const k = `${r.monitor_id}\u0000${r.location}`;
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { monitor_id: r.monitor_id, location: r.location, samples: [] }));
        g.samples.push({ ok: r.ok, ms: r.response_ms });
      }
      if (groups.size === 0) continue;
      const values = [...groups.values()].map((g) => ({
        monitor_id: g.monitor_id,
        location: g.location,
        bucket,
        start: iso(from),
        ...summarize(g.samples),
      }));
      await db.transaction().execute(async (trx) => {
        for (let j = 0; j < values.length; j += 500) {
          await trx
            .insertInto('monitoring_rollups')
            .values(values.slice(j, j + 500))
            .onConflict((oc) =>
              oc.columns(['monitor_id', 'location', 'bucket', 'start']).doUpdateSet((eb) => ({
                count: eb.ref('excluded.count'),
                failures: eb.ref('excluded.failures'),
                min_ms: eb.ref('excluded.min_ms'),
                avg_ms: eb.ref('excluded.avg_ms'),
                max_ms: eb.ref('excluded.max_ms'),
                p95_ms: eb.ref('excluded.p95_ms'),
              })),
            )
            .execute();
        }
      });
    }
  }

  /**
   * The completeness record of the day starting at `dayStart`, up to `until`: expected = the active (existing, not
   * paused) time divided by the interval, times the monitor's locations (as they are now: a change of locations
   * during the day is not split); executed = checks recorded from every location (from the hourly aggregates);
   * deviations = transitions to down; registered = those that reached the incident system. Returns rows written.
   */
  async #completeness(db: Db, dayStart: number, until: number): Promise<number> {
    const day = iso(dayStart).slice(0, 10);
    const dayEnd = dayStart + DAY;
    const monitors = await db
      .selectFrom('monitoring_monitors')
      .select(['id', 'interval_s', 'created_at', 'paused', 'locations'])
      .execute();
    if (monitors.length === 0) return 0;
    const executed = new Map<string, number>();
    for (const r of await db
      .selectFrom('monitoring_rollups')
      .select(['monitor_id', (eb) => eb.fn.sum<number>('count').as('n')])
      .where('bucket', '=', 'hour')
      .where('start', '>=', iso(dayStart))
      .where('start', '<', iso(dayEnd))
      .groupBy('monitor_id')
      .execute()) {
      executed.set(r.monitor_id, Number(r.n));
    }
    const pauses = await db
      .selectFrom('monitoring_pauses')
      .selectAll()
      .where('from_at', '<', iso(dayEnd))
      .where((eb) => eb.or([eb('to_at', 'is', null), eb('to_at', '>', iso(dayStart))]))
      .execute();
    const events = await db
      .selectFrom('monitoring_events')
      .select(['monitor_id', sql<number>`count(*)`.as('n'), sql<number>`count(incident_id)`.as('reg')])
      .where('to_state', '=', 'down')
      .where('at', '>=', iso(dayStart))
      .where('at', '<', iso(dayEnd))
      .groupBy('monitor_id')
      .execute();
    const ev = new Map(events.map((e) => [e.monitor_id, { n: Number(e.n), reg: Number(e.reg) }]));
    const values = monitors.flatMap((m) => {
      const start = Math.max(dayStart, Date.parse(m.created_at));
      const end = Math.min(dayEnd, until);
      if (end <= start) return [];
      let paused = 0;
      for (const p of pauses) {
        if (p.monitor_id !== m.id) continue;
        const a = Math.max(start, Date.parse(p.from_at));
        const b = Math.min(end, p.to_at ? Date.parse(p.to_at) : end);
        if (b > a) paused += b - a;
      }
      const locations = (JSON.parse(m.locations) as string[]).length;
      const expected = Math.floor((end - start - paused) / (m.interval_s * 1000)) * locations;
      const e = ev.get(m.id);
      return [
        { monitor_id: m.id, day, expected, executed: executed.get(m.id) ?? 0, deviations: e?.n ?? 0, registered: e?.reg ?? 0 },
      ];
    });
    await db.transaction().execute(async (trx) => {
      for (let j = 0; j < values.length; j += 500) {
        await trx
          .insertInto('monitoring_completeness')
          .values(values.slice(j, j + 500))
          .onConflict((oc) =>
            oc.columns(['monitor_id', 'day']).doUpdateSet((eb) => ({
              expected: eb.ref('excluded.expected'),
              executed: eb.ref('excluded.executed'),
              deviations: eb.ref('excluded.deviations'),
              registered: eb.ref('excluded.registered'),
            })),
          )
          .execute();
      }
      const report = this.d.reportCompleteness;
      if (report) {
        for (const v of values)
          await report(trx, {
            day,
            source: 'monitoring',
            subject: `monitor:${v.monitor_id}`,
            expected: v.expected,
            executed: v.executed,
          });
      }
    });
    return values.length;
  }
}
