import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, invalid, notFound } from '../../core/errors.ts';
import type { SignalSink } from '../../core/signals.ts';
import { LOCAL, monitorDefinition, type MonitorDefinition, type RangeQuery } from './api/monitor.schemas.ts';
import type { MonitoringConfig } from './monitoring.config.ts';
import { auditView, targetOf, toMonitor, type Monitor, type MonitorListItem } from './monitoring.model.ts';
import { monitoringStore } from './monitoring.store.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A new heartbeat monitor's secret, shown once. */
export interface CreatedMonitor extends Monitor {
  heartbeatToken?: string;
  heartbeatUrl?: string;
}

export interface UptimeWindow {
  window: '24h' | '7d' | '30d' | '90d';
  from: string;
  to: string;
  checks: number;
  failures: number;
  /** null when nothing was checked in the window. */
  uptimePercent: number | null;
}

export interface CompletenessItem {
  monitorId: string;
  name: string | null;
  day: string;
  expected: number;
  executed: number;
  missing: number;
  deviations: number;
  registered: number;
}

/** What `apply` did with one definition of the file. */
export interface ApplyResult {
  name: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'failed';
  id?: string;
  /** Why it failed (validation errors per field, or a conflict). */
  errors?: { path: string; message: string }[];
  /** A new heartbeat monitor's secret URL, shown once. */
  heartbeatUrl?: string;
}

export type ResultsPage =
  | {
      resolution: 'raw';
      from: string;
      to: string;
      items: { at: string; location: string; ok: boolean; responseMs: number | null; error: string | null }[];
    }
  | {
      resolution: 'hour' | 'day';
      from: string;
      to: string;
      items: {
        start: string;
        location: string;
        count: number;
        failures: number;
        minMs: number | null;
        avgMs: number | null;
        maxMs: number | null;
        p95Ms: number | null;
      }[];
    };

/** What changed, for the engine (same process) to reschedule at once. */
export type MonitorChange = { kind: 'upsert'; monitor: Monitor } | { kind: 'remove'; id: string };

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Most raw results one request returns. */
const RAW_LIMIT = 10_000;

/** Validate a whole definition; zod problems become `validation_failed` with one message per `body.<field>`. */
export function parseDefinition(input: unknown): MonitorDefinition {
  const r = monitorDefinition.safeParse(input);
  if (!r.success) {
    throw invalid(
      'validation_failed',
      'the monitor definition is invalid',
      r.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  return r.data;
}

/** Monitors: definitions, pause/resume, heartbeats, and the read side (results, uptime, completeness). */
export class MonitoringService {
  /** Set by the engine: told about every change so the scheduler follows at once. */
  onChange: ((c: MonitorChange) => void) | undefined;

  constructor(private readonly d: { clock: Clock; signals: SignalSink; config: MonitoringConfig }) {}

  async get(db: Db, id: string): Promise<Monitor> {
    const row = await monitoringStore.get(db, id);
    if (!row) throw notFound('monitor_not_found', `no monitor ${id}`);
    return toMonitor(row);
  }

  /** Every monitor, with uptime and a response-time sparkline over the last 24 hours (hourly aggregates). */
  async list(db: Db, filter: { type?: string | undefined; state?: string | undefined } = {}): Promise<MonitorListItem[]> {
    const rows = await monitoringStore.list(db);
    const now = this.d.clock.now().getTime();
    const firstHour = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
    const rollups = await db
      .selectFrom('monitoring_rollups')
      .select(['monitor_id', 'start', 'count', 'failures', 'avg_ms'])
      .where('bucket', '=', 'hour')
      .where('start', '>=', new Date(firstHour).toISOString())
      .execute();
    const agg = new Map<string, { checks: number; failures: number; spark: (number | null)[] }>();
    for (const r of rollups) {
      let a = agg.get(r.monitor_id);
      if (!a) agg.set(r.monitor_id, (a = { checks: 0, failures: 0, spark: new Array<number | null>(24).fill(null) }));
      a.checks += r.count;
      a.failures += r.failures;
      const i = Math.round((Date.parse(r.start) - firstHour) / HOUR);
      if (i >= 0 && i < 24) a.spark[i] = r.avg_ms;
    }
    return rows
      .map(toMonitor)
      .filter(
        (m) =>
          (!filter.type || m.type === filter.type) &&
          (!filter.state || (filter.state === 'paused' ? m.paused : !m.paused && m.state === filter.state)),
      )
      .map((m) => {
        const a = agg.get(m.id);
        return {
          ...m,
          uptime24h: a && a.checks > 0 ? round2((100 * (a.checks - a.failures)) / a.checks) : null,
          spark: a?.spark ?? new Array<number | null>(24).fill(null),
        };
      });
  }

  async create(db: Db, input: unknown, actorRef: string, audit: AuditRecorder): Promise<CreatedMonitor> {
    const def = parseDefinition(input);
    const now = this.d.clock.now().toISOString();
    const id = randomUUID();
    const token = def.type === 'heartbeat' ? `hb_${randomBytes(24).toString('base64url')}` : undefined;
    await db
      .insertInto('monitoring_monitors')
      .values({
        id,
        name: def.name,
        type: def.type,
        definition: JSON.stringify(def),
        interval_s: def.intervalSeconds,
        public_component: def.publicComponent ?? null,
        paused: 0,
        heartbeat_token_hash: token ? hashToken(token) : null,
        last_heartbeat_at: null,
        locations: JSON.stringify(def.locations ?? [LOCAL]),
        quorum: def.quorum ?? 1,
        state: 'unknown',
        state_changed_at: null,
        consecutive_failures: 0,
        consecutive_successes: 0,
        last_check_at: null,
        last_ok: null,
        last_response_ms: null,
        last_error: null,
        created_by: actorRef,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const m = await this.get(db, id);
    audit.target(`monitor:${id}`);
    audit.change({ type: 'monitor', id, before: null, after: auditView(m) });
    this.onChange?.({ kind: 'upsert', monitor: m });
    if (!token) return m;
    const path = `/api/v1/heartbeat/${token}`;
    return { ...m, heartbeatToken: token, heartbeatUrl: `${this.d.config.publicUrl.replace(/\/$/, '')}${path}` };
  }

  /**
   * Merge a partial change into the stored definition and validate the whole (the type cannot change). With
   * `replace`, the given definition replaces the stored one (fields it leaves out go back to their defaults).
   */
  async update(
    db: Db,
    id: string,
    patch: Record<string, unknown>,
    audit: AuditRecorder,
    opts: { replace?: boolean } = {},
  ): Promise<Monitor> {
    const before = await this.get(db, id);
    const def = parseDefinition({ ...(opts.replace ? {} : before.definition), ...patch, type: before.type });
    await db
      .updateTable('monitoring_monitors')
      .set({
        name: def.name,
        definition: JSON.stringify(def),
        interval_s: def.intervalSeconds,
        public_component: def.publicComponent ?? null,
        locations: JSON.stringify(def.locations ?? [LOCAL]),
        quorum: def.quorum ?? 1,
        updated_at: this.d.clock.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    const after = await this.get(db, id);
    audit.target(`monitor:${id}`);
    audit.change({ type: 'monitor', id, before: auditView(before), after: auditView(after) });
    this.onChange?.({ kind: 'upsert', monitor: after });
    return after;
  }

  /** Delete a monitor and its data. A monitor that is down resolves its signal: its deviation ends with it. */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const before = await this.get(db, id);
    if (before.state === 'down') {
      await this.d.signals.raise(db, {
        source: 'monitoring',
        dedupKey: `monitor:${id}`,
        status: 'resolved',
        severity: before.definition.severity,
        summary: `${before.name} was deleted while down (${targetOf(before.definition)})`,
        details: { monitorId: id, reason: 'deleted' },
      });
    }
    for (const t of ['monitoring_results', 'monitoring_rollups', 'monitoring_pauses', 'monitoring_location_states'] as const) {
      await db.deleteFrom(t).where('monitor_id', '=', id).execute();
    }
    await db.deleteFrom('monitoring_monitors').where('id', '=', id).execute();
    audit.target(`monitor:${id}`);
    audit.change({ type: 'monitor', id, before: auditView(before), after: null });
    this.onChange?.({ kind: 'remove', id });
  }

  /** Pause or resume; pauses are recorded so the completeness record does not count paused time as expected. */
  async setPaused(db: Db, id: string, paused: boolean, audit: AuditRecorder): Promise<Monitor> {
    const before = await this.get(db, id);
    const now = this.d.clock.now().toISOString();
    if (before.paused !== paused) {
      if (paused) await db.insertInto('monitoring_pauses').values({ monitor_id: id, from_at: now, to_at: null }).execute();
      else
        await db
          .updateTable('monitoring_pauses')
          .set({ to_at: now })
          .where('monitor_id', '=', id)
          .where('to_at', 'is', null)
          .execute();
      // A resumed heartbeat monitor counts its silence from the resume, not from before the pause.
      await db
        .updateTable('monitoring_monitors')
        .set({
          paused: paused ? 1 : 0,
          updated_at: now,
          ...(!paused && before.type === 'heartbeat' ? { last_heartbeat_at: now } : {}),
        })
        .where('id', '=', id)
        .execute();
    }
    const after = await this.get(db, id);
    audit.target(`monitor:${id}`);
    audit.change({ type: 'monitor', id, before: { paused: before.paused }, after: { paused: after.paused } });
    this.onChange?.({ kind: 'upsert', monitor: after });
    return after;
  }

  /**
   * Create or update monitors from a list of definitions (a file kept in git), matched by name: new names are created,
   * changed definitions updated, identical ones left alone. One result per item; a bad item fails alone. Monitors
   * missing from the list are kept (nothing is deleted by omission).
   */
  async apply(db: Db, items: readonly unknown[], actorRef: string, audit: AuditRecorder): Promise<ApplyResult[]> {
    const existing = await monitoringStore.list(db);
    const byName = new Map<string, typeof existing>();
    for (const r of existing) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    const seen = new Set<string>();
    const out: ApplyResult[] = [];
    for (const [i, item] of items.entries()) {
      const name = typeof (item as { name?: unknown })?.name === 'string' ? (item as { name: string }).name.trim() : `#${i + 1}`;
      const r = monitorDefinition.safeParse(item);
      if (!r.success) {
        out.push({
          name,
          outcome: 'failed',
          errors: r.error.issues.map((x) => ({ path: [`monitors.${i}`, ...x.path.map(String)].join('.'), message: x.message })),
        });
        continue;
      }
      const def = r.data;
      if (seen.has(def.name)) {
        out.push({
          name,
          outcome: 'failed',
          errors: [{ path: `monitors.${i}.name`, message: 'the name appears twice in the list' }],
        });
        continue;
      }
      seen.add(def.name);
      const matches = byName.get(def.name) ?? [];
      if (matches.length > 1) {
        out.push({
          name,
          outcome: 'failed',
          errors: [{ path: `monitors.${i}.name`, message: `${matches.length} monitors have this name: rename them first` }],
        });
        continue;
      }
      const current = matches[0];
      if (!current) {
        const m = await this.create(db, def, actorRef, audit);
        out.push({ name, outcome: 'created', id: m.id, ...(m.heartbeatUrl ? { heartbeatUrl: m.heartbeatUrl } : {}) });
      } else if (current.type !== def.type) {
        out.push({
          name,
          outcome: 'failed',
          id: current.id,
          errors: [{ path: `monitors.${i}.type`, message: `the monitor is of type ${current.type}; a type cannot change` }],
        });
      } else if (current.definition === JSON.stringify(def)) {
        out.push({ name, outcome: 'unchanged', id: current.id });
      } else {
        await this.update(db, current.id, def, audit, { replace: true });
        out.push({ name, outcome: 'updated', id: current.id });
      }
    }
    return out;
  }

  /** Every monitor's definition, by name: what `apply` takes back (heartbeat secrets are not included: only hashes exist). */
  async exportDefinitions(db: Db): Promise<MonitorDefinition[]> {
    return (await monitoringStore.list(db)).map((r) => JSON.parse(r.definition) as MonitorDefinition);
  }

  /** A heartbeat arrived: find the monitor by the token's hash and note the time. */
  async heartbeat(db: Db, token: string): Promise<{ monitorId: string; at: string }> {
    const row = await monitoringStore.byTokenHash(db, hashToken(token));
    if (!row) throw notFound('heartbeat_not_found', 'no heartbeat monitor has this token');
    const at = this.d.clock.now().toISOString();
    await db.updateTable('monitoring_monitors').set({ last_heartbeat_at: at }).where('id', '=', row.id).execute();
    return { monitorId: row.id, at };
  }

  async results(db: Db, id: string, q: RangeQuery): Promise<ResultsPage> {
    await this.get(db, id);
    const { from, to } = rangeOf(q, this.d.clock.now().getTime(), DAY);
    const span = to - from;
    const resolution = q.resolution !== 'auto' ? q.resolution : span <= DAY ? 'raw' : span <= 31 * DAY ? 'hour' : 'day';
    const f = new Date(from).toISOString();
    const t = new Date(to).toISOString();
    if (resolution === 'raw') {
      const rows = await monitoringStore.results(db, id, f, t, RAW_LIMIT);
      return {
        resolution,
        from: f,
        to: t,
        items: rows
          .reverse()
          .map((r) => ({ at: r.at, location: r.location, ok: r.ok === 1, responseMs: r.response_ms, error: r.error })),
      };
    }
    const rows = await monitoringStore.rollups(db, id, resolution, f, t);
    return {
      resolution,
      from: f,
      to: t,
      items: rows.map((r) => ({
        start: r.start,
        location: r.location,
        count: r.count,
        failures: r.failures,
        minMs: r.min_ms,
        avgMs: r.avg_ms,
        maxMs: r.max_ms,
        p95Ms: r.p95_ms,
      })),
    };
  }

  /** Uptime over 24 h and 7 d (raw results) and 30 d and 90 d (daily aggregates plus today's raw results). */
  async uptime(db: Db, id: string): Promise<{ monitorId: string; windows: UptimeWindow[] }> {
    await this.get(db, id);
    const now = this.d.clock.now().getTime();
    const today = Math.floor(now / DAY) * DAY;
    const windows: UptimeWindow[] = [];
    const toIso = new Date(now).toISOString();
    for (const [w, days] of [
      ['24h', 1],
      ['7d', 7],
      ['30d', 30],
      ['90d', 90],
    ] as const) {
      const from = now - days * DAY;
      let c: { count: number; failures: number };
      if (days <= Math.min(7, this.d.config.rawRetentionDays)) {
        c = await monitoringStore.rawCounts(db, id, new Date(from).toISOString(), toIso);
      } else {
        const dayStart = Math.floor(from / DAY) * DAY + DAY;
        const r = await db
          .selectFrom('monitoring_rollups')
          .select((eb) => [eb.fn.sum<number | null>('count').as('count'), eb.fn.sum<number | null>('failures').as('failures')])
          .where('monitor_id', '=', id)
          .where('bucket', '=', 'day')
          .where('start', '>=', new Date(dayStart).toISOString())
          .where('start', '<', new Date(today).toISOString())
          .executeTakeFirstOrThrow();
        const raw = await monitoringStore.rawCounts(db, id, new Date(today).toISOString(), toIso);
        c = { count: Number(r.count ?? 0) + raw.count, failures: Number(r.failures ?? 0) + raw.failures };
      }
      windows.push({
        window: w,
        from: new Date(from).toISOString(),
        to: toIso,
        checks: c.count,
        failures: c.failures,
        uptimePercent: c.count > 0 ? round2((100 * (c.count - c.failures)) / c.count) : null,
      });
    }
    return { monitorId: id, windows };
  }

  /** Per monitor per day: checks expected vs executed, deviations vs registered signals (written by the rollup job). */
  async completeness(
    db: Db,
    q: { from?: string | undefined; to?: string | undefined },
  ): Promise<{ from: string; to: string; items: CompletenessItem[] }> {
    const now = this.d.clock.now().getTime();
    const toDay = (q.to ? new Date(q.to) : new Date(now)).toISOString().slice(0, 10);
    const fromDay = (q.from ? new Date(q.from) : new Date(now - 6 * DAY)).toISOString().slice(0, 10);
    if (fromDay > toDay) throw new AppError('invalid', 'range_invalid', '`from` must not be after `to`');
    const rows = await db
      .selectFrom('monitoring_completeness as c')
      .leftJoin('monitoring_monitors as m', 'm.id', 'c.monitor_id')
      .select(['c.monitor_id', 'm.name', 'c.day', 'c.expected', 'c.executed', 'c.deviations', 'c.registered'])
      .where('c.day', '>=', fromDay)
      .where('c.day', '<=', toDay)
      .orderBy('c.day')
      .orderBy('m.name')
      .orderBy('c.monitor_id')
      .limit(100_000)
      .execute();
    return {
      from: fromDay,
      to: toDay,
      items: rows.map((r) => ({
        monitorId: r.monitor_id,
        name: r.name,
        day: r.day,
        expected: r.expected,
        executed: r.executed,
        missing: Math.max(0, r.expected - r.executed),
        deviations: r.deviations,
        registered: r.registered,
      })),
    };
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** [from, to) in epoch ms from a range query; `defaultSpan` before `to` when `from` is missing. */
export function rangeOf(
  q: { from?: string | undefined; to?: string | undefined },
  now: number,
  defaultSpan: number,
): { from: number; to: number } {
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - defaultSpan;
  if (from >= to)
    throw new AppError('invalid', 'range_invalid', '`from` must be before `to`', {
      errors: [{ path: 'query.from', message: 'must be before `to`' }],
    });
  if (to - from > 800 * DAY)
    throw new AppError('invalid', 'range_too_large', 'a range is at most 800 days', {
      errors: [{ path: 'query.from', message: 'at most 800 days before `to`' }],
    });
  return { from, to };
}
