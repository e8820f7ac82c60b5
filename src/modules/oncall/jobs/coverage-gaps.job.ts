import type { Clock } from '../../../core/clock.ts';
import type { Database } from '../../../core/db/database.ts';
import type { SignalSink } from '../../../core/signals.ts';
import type { OncallService } from '../oncall.service.ts';
import { formatLocal } from '../../../core/time-zone.ts';

/** What the job did for one schedule. */
export interface CoverageResult {
  scheduleId: string;
  status: 'ok' | 'failed';
  /** raised: a gap appeared; resolved: the gaps were filled; unchanged: nothing to report. */
  effect: 'raised' | 'resolved' | 'unchanged';
  /** First gap start (UTC ISO), if any. */
  firstGap: string | null;
  reason?: string | undefined;
}

/** The signal's dedup key for a schedule's coverage gaps. */
export const gapKey = (scheduleId: string): string => `oncall:gap:${scheduleId}`;

/**
 * Coverage-gap check: any moment in the next gapHorizonDays with nobody on call raises a `major` signal
 * (`oncall:gap:<scheduleId>`) naming the first gap in the schedule's local time; a `resolved` signal follows once the
 * gaps are filled. Runs hourly in the engine role; each schedule in its own transaction, so one failure sinks nothing
 * else. `perform()` is what the timer calls; tests call it directly.
 */
export class CoverageGapsJob {
  readonly id = 'oncall.coverage-gaps';
  /** Only one runner at a time within this process (a slow run is skipped, not stacked). */
  #running: Promise<CoverageResult[]> | null = null;

  constructor(private readonly d: { database: Database; clock: Clock; service: OncallService; signals: SignalSink }) {}

  perform(): Promise<CoverageResult[]> {
    this.#running ??= this.#run().finally(() => (this.#running = null));
    return this.#running;
  }

  /** Wait for a run in progress, if any (shutdown). */
  async settled(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  async #run(): Promise<CoverageResult[]> {
    const { database, service, signals } = this.d;
    const out: CoverageResult[] = [];
    for (const s of await service.list(database.db)) {
      try {
        out.push(
          await database.db.transaction().execute(async (trx) => {
            const [g] = await service.gaps(trx, s.id);
            const first = g?.gaps[0];
            const fresh = await service.get(trx, s.id);
            if (first && !fresh.gapFiring) {
              const start = Date.parse(first.start);
              const end = Date.parse(first.end);
              await signals.raise(trx, {
                source: 'oncall',
                dedupKey: gapKey(s.id),
                status: 'firing',
                severity: 'major',
                summary: `Nobody on call for ${s.name} from ${formatLocal(start, s.timeZone)} to ${formatLocal(end, s.timeZone)} (${s.timeZone})`,
                details: { scheduleId: s.id, gaps: g.gaps.slice(0, 20) },
              });
              await service.setGapFiring(trx, s.id, true);
              return { scheduleId: s.id, status: 'ok' as const, effect: 'raised' as const, firstGap: first.start };
            }
            if (!first && fresh.gapFiring) {
              await signals.raise(trx, {
                source: 'oncall',
                dedupKey: gapKey(s.id),
                status: 'resolved',
                severity: 'major',
                summary: `On-call coverage of ${s.name} is complete again`,
                details: { scheduleId: s.id },
                autoResolve: true,
              });
              await service.setGapFiring(trx, s.id, false);
              return { scheduleId: s.id, status: 'ok' as const, effect: 'resolved' as const, firstGap: null };
            }
            return { scheduleId: s.id, status: 'ok' as const, effect: 'unchanged' as const, firstGap: first?.start ?? null };
          }),
        );
      } catch (e) {
        out.push({ scheduleId: s.id, status: 'failed', effect: 'unchanged', firstGap: null, reason: (e as Error).message });
      }
    }
    return out;
  }
}
