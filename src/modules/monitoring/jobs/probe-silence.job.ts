import type { Clock } from '../../../core/clock.ts';
import type { Database } from '../../../core/db/database.ts';
import type { Logger } from '../../../core/logger.ts';
import type { SignalSink } from '../../../core/signals.ts';
import type { MonitoringConfig } from '../monitoring.config.ts';
import { probesStore } from '../probes/probes.store.ts';

export interface ProbeSilenceResult {
  probeId: string;
  outcome: 'silent' | 'back' | 'unchanged' | 'failed';
  reason?: string;
}

/**
 * A probe that has not called for `probeSilentAfterPolls` × its poll interval is itself a deviation: a firing signal
 * `probe:<id>`, resolved when the probe calls again. Runs in the engine role every `probeSilenceCheckSeconds`; each
 * change is written with its signal in one transaction (if the signal cannot be registered, the next run retries).
 */
export class ProbeSilenceJob {
  readonly id = 'monitoring.probe-silence';
  readonly singleRunner = true;

  constructor(
    private readonly d: { database: Database; clock: Clock; log: Logger; signals: SignalSink; config: MonitoringConfig },
  ) {}

  get intervalMs(): number {
    return this.d.config.probeSilenceCheckSeconds * 1000;
  }

  async perform(): Promise<ProbeSilenceResult[]> {
    const { database, clock, config, signals } = this.d;
    const now = clock.now();
    const out: ProbeSilenceResult[] = [];
    for (const p of await probesStore.list(database.db)) {
      const since = p.last_seen_at ?? p.created_at;
      const quietMs = now.getTime() - Date.parse(since);
      const limitMs = p.poll_seconds * config.probeSilentAfterPolls * 1000;
      const silent = quietMs > limitMs;
      if (silent === (p.silent === 1)) {
        out.push({ probeId: p.id, outcome: 'unchanged' });
        continue;
      }
      try {
        await database.db.transaction().execute(async (trx) => {
          await signals.raise(trx, {
            source: 'monitoring',
            dedupKey: `probe:${p.id}`,
            status: silent ? 'firing' : 'resolved',
            severity: config.probeSilentSeverity,
            summary: silent
              ? `Probe ${p.name} (${p.location}) has not reported for ${Math.round(quietMs / 1000)} s (limit ${limitMs / 1000} s)`
              : `Probe ${p.name} (${p.location}) reports again`,
            details: { probeId: p.id, location: p.location, lastSeenAt: p.last_seen_at, limitSeconds: limitMs / 1000 },
            occurredAt: now,
          });
          await trx
            .updateTable('monitoring_probes')
            .set({ silent: silent ? 1 : 0, silent_since: silent ? now.toISOString() : null })
            .where('id', '=', p.id)
            .execute();
        });
        out.push({ probeId: p.id, outcome: silent ? 'silent' : 'back' });
      } catch (e) {
        this.d.log.error({ err: e, probeId: p.id }, 'monitoring: probe silence not registered; retrying next run');
        out.push({ probeId: p.id, outcome: 'failed', reason: (e as Error).message });
      }
    }
    return out;
  }
}
