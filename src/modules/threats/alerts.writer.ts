import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SignalSink } from '../../core/signals.ts';
import { banTargetOf } from './cidr.ts';
import type { DecisionsService } from './decisions.service.ts';
import type { Overflow } from './events.ts';
import type { ThreatsAlertsTable } from './threats.tables.ts';

/**
 * What an alert leads to: `enrich` (a feed hit alone: counted and shown, nobody paged), `decision` (behaviour: a ban
 * and a line in the digest), `page` (behaviour plus a feed hit, one IP attacking many customer environments, a
 * successful login after a brute force: raises a signal that pages on-call).
 */
export type AlertTier = 'enrich' | 'decision' | 'page';

/** An overflow on its way to the database, with what the pipeline knew about it. */
export interface PendingAlert {
  overflow: Overflow;
  /** Feeds listing the attacking IP (from the index at detection time). */
  listedBy: readonly string[];
  /** Forced tier (the pipeline's own detections); else derived. */
  tier?: AlertTier | undefined;
  /** One line for the signal, when this pages. */
  summary?: string | undefined;
}

export interface AlertWriterStats {
  /** Overflows written as new alerts. */
  alerts: number;
  /** Overflows counted into an existing alert because its target already had an active decision. */
  suppressed: number;
  /** Events of an already-alerted key (blackholed) counted into its alert. */
  extended: number;
  decisions: number;
  /** Bans refused because the allowlist covers the target. */
  allowlisted: number;
  signals: number;
  /** Overflows waiting for the next batch. */
  pending: number;
  /** Overflows dropped because the pending buffer was full (the database could not keep up). */
  dropped: number;
  batches: number;
  failedBatches: number;
}

interface ActiveTarget {
  alertId: string;
  until: number;
}

const MAX_PENDING = 100_000;
/** Source addresses kept on one alert (a spray by a large botnet is summarised, not stored whole). */
const MAX_ALERT_IPS = 1000;
const MAX_ACTIVE = 1_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A span of log time for a person: `5 s`, `12 min`, `3.5 h`, `2 d`. */
export function spanText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} d`;
}

/**
 * Writes alerts, decisions and signals in batches, one transaction per batch, off the parsing path: the detector
 * hands overflows to `add()` (synchronous, bounded) and never waits for the database. While a target has an active
 * decision, further overflows are counted into its alert instead of making new alerts (a flood makes one alert per
 * attacker, not one per overflow).
 */
export class AlertWriter {
  private pending: PendingAlert[] = [];
  private extensions = new Map<string, { scenario: string; key: string; ips: Set<string>; events: number; lastAt: number }>();
  private readonly active = new Map<string, ActiveTarget>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly counts: Omit<AlertWriterStats, 'pending'> = {
    alerts: 0,
    suppressed: 0,
    extended: 0,
    decisions: 0,
    allowlisted: 0,
    signals: 0,
    dropped: 0,
    batches: 0,
    failedBatches: 0,
  };

  constructor(
    private readonly deps: {
      database: Database;
      clock: Clock;
      log: Logger;
      decisions: DecisionsService;
      signals: SignalSink;
      flushMs: number;
    },
  ) {}

  /** Count an event for a blackholed key into its open alert, adding its address (hot path: no I/O, bounded). */
  extend(scenario: string, key: string, ip: string, time: number): void {
    const k = `${scenario}\u0000${key}`;
    let x = this.extensions.get(k);
    if (!x) {
      if (this.extensions.size >= MAX_PENDING) {
        this.counts.dropped++;
        return;
      }
      x = { scenario, key, ips: new Set<string>(), events: 0, lastAt: 0 };
      this.extensions.set(k, x);
    }
    x.events++;
    if (x.ips.size < MAX_ALERT_IPS) x.ips.add(ip);
    if (time > x.lastAt) x.lastAt = time;
  }

  /** Queue an overflow (hot path: no I/O). */
  add(a: PendingAlert): void {
    if (this.pending.length >= MAX_PENDING) {
      this.counts.dropped++;
      return;
    }
    this.pending.push(a);
  }

  stats(): AlertWriterStats {
    return { ...this.counts, pending: this.pending.length };
  }

  /** Flush every `flushMs` until `stop()`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.deps.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Write everything pending now (tests and the CLI call it directly); batches never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.length === 0 && this.extensions.size === 0) return;
    const batch = this.pending;
    this.pending = [];
    const extensions = [...this.extensions.values()];
    this.extensions = new Map();
    try {
      await this.deps.database.db.transaction().execute(async (trx) => {
        const allowlist = await this.deps.decisions.allowlist(trx);
        const merges = new Map<string, { overflows: number; events: number; lastAt: number }>();
        for (const a of batch) await this.writeOne(trx, a, allowlist, merges);
        for (const [alertId, m] of merges)
          await trx
            .updateTable('threats_alerts')
            .set({
              overflows: sql`overflows + ${m.overflows}`,
              events: sql`events + ${m.events}`,
              last_at: iso(m.lastAt),
              updated_at: iso(this.deps.clock.now().getTime()),
            })
            .where('id', '=', alertId)
            .execute();
        for (const x of extensions) await this.extendAlert(trx, x);
      });
      this.counts.batches++;
    } catch (err) {
      // The batch is lost to the database but not silently: counted, logged, and the next batch goes on.
      this.counts.failedBatches++;
      this.counts.dropped += batch.length;
      this.deps.log.error({ err, overflows: batch.length }, 'threats: writing an alert batch failed');
    }
  }

  private async writeOne(
    trx: Db,
    a: PendingAlert,
    allowlist: readonly string[],
    merges: Map<string, { overflows: number; events: number; lastAt: number }>,
  ): Promise<void> {
    const o = a.overflow;
    const now = this.deps.clock.now().getTime();
    const banTarget = o.scope ? banTargetOf(o.scope) : undefined;
    const targetKey = banTarget ? `${o.simulated ? 'sim:' : ''}${banTarget}` : undefined;
    const known = targetKey ? this.active.get(targetKey) : undefined;
    if (known && known.until > now && a.tier !== 'page') {
      const m = merges.get(known.alertId) ?? { overflows: 0, events: 0, lastAt: 0 };
      m.overflows++;
      m.events += o.count;
      m.lastAt = Math.max(m.lastAt, o.lastAt);
      merges.set(known.alertId, m);
      this.counts.suppressed++;
      return;
    }
    const tier: AlertTier = a.tier ?? (a.listedBy.length > 0 ? 'page' : o.remediation ? 'decision' : 'enrich');
    const alertId = randomUUID();
    const row: ThreatsAlertsTable = {
      id: alertId,
      scenario: o.scenario,
      key: o.key.slice(0, 200),
      ip: o.ips[0] ?? null,
      scope_value: o.scope?.value ?? null,
      severity: tier === 'page' && o.severity !== 'critical' ? 'major' : o.severity,
      tier,
      labels: JSON.stringify(o.labels),
      ips: JSON.stringify(o.ips.slice(0, MAX_ALERT_IPS)),
      listed_by: JSON.stringify(a.listedBy),
      events: o.count,
      overflows: 1,
      first_at: iso(o.firstAt),
      last_at: iso(o.lastAt),
      samples: JSON.stringify(o.samples.slice(0, 10).map((l) => l.slice(0, 2000))),
      decision_id: null,
      simulated: o.simulated ? 1 : 0,
      created_at: iso(now),
      updated_at: iso(now),
    };
    await trx.insertInto('threats_alerts').values(row).execute();
    this.counts.alerts++;
    if (o.remediation && o.scope && banTarget) {
      const r = await this.deps.decisions.ban(
        trx,
        {
          target: banTarget ?? o.scope.value,
          reason: `${o.scenario}: ${o.count} events in ${spanText(o.lastAt - o.firstAt)} (log time ${iso(o.firstAt).slice(0, 19)}Z)`,
          scenario: o.scenario,
          origin: 'skjold',
          alertId,
          simulated: o.simulated,
          actor: 'system:threats',
          evidence: { events: o.count, samples: o.samples.slice(0, 3).map((l) => l.slice(0, 300)) },
        },
        allowlist,
      );
      if (r.ok) {
        this.counts.decisions++;
        await trx.updateTable('threats_alerts').set({ decision_id: r.decision.id }).where('id', '=', alertId).execute();
        this.remember(targetKey ?? r.decision.value, { alertId, until: r.decision.until });
      } else if (r.reason === 'already_banned') {
        await trx.updateTable('threats_alerts').set({ decision_id: r.decision.id }).where('id', '=', alertId).execute();
        this.remember(targetKey ?? r.decision.value, { alertId, until: r.decision.until });
      } else this.counts.allowlisted++;
    }
    if (tier === 'page') {
      await this.deps.signals.raise(trx, {
        source: 'threats',
        dedupKey: `threats:${o.scenario}:${o.scope?.value ?? o.key}`,
        status: 'firing',
        severity: o.severity === 'critical' ? 'critical' : 'major',
        summary: (
          a.summary ??
          `${o.scenario} from ${o.scope?.value ?? o.key}${a.listedBy.length ? ` (listed by ${a.listedBy.join(', ')})` : ''}`
        ).slice(0, 300),
        details: { alertId, scenario: o.scenario, key: o.key, events: o.count, listedBy: a.listedBy, labels: o.labels },
        occurredAt: new Date(o.lastAt),
        autoResolve: false,
      });
      this.counts.signals++;
    }
  }

  /** Fold a blackholed key's later events into its newest alert (within a day), adding new source addresses. */
  private async extendAlert(
    trx: Db,
    x: { scenario: string; key: string; ips: Set<string>; events: number; lastAt: number },
  ): Promise<void> {
    const since = new Date(this.deps.clock.now().getTime() - 86_400_000).toISOString();
    const a = await trx
      .selectFrom('threats_alerts')
      .select(['id', 'ips', 'last_at'])
      .where('scenario', '=', x.scenario)
      .where('key', '=', x.key.slice(0, 200))
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!a) return;
    let ips: string[] = [];
    try {
      ips = JSON.parse(a.ips) as string[];
    } catch {
      // A damaged list is replaced by what we know now.
    }
    const merged = [...new Set([...ips, ...x.ips])].slice(0, MAX_ALERT_IPS);
    await trx
      .updateTable('threats_alerts')
      .set({
        ips: JSON.stringify(merged),
        events: sql`events + ${x.events}`,
        last_at: x.lastAt > Date.parse(a.last_at) ? iso(x.lastAt) : a.last_at,
        updated_at: iso(this.deps.clock.now().getTime()),
      })
      .where('id', '=', a.id)
      .execute();
    this.counts.extended += x.events;
  }

  private remember(key: string, t: ActiveTarget): void {
    if (this.active.size >= MAX_ACTIVE) {
      const oldest = this.active.keys().next();
      if (!oldest.done) this.active.delete(oldest.value);
    }
    this.active.set(key, t);
  }

  /** Forget a target (after an unban), so its next overflow makes a new alert and decision. */
  forget(value: string): void {
    this.active.delete(value);
    this.active.delete(`sim:${value}`);
  }
}
