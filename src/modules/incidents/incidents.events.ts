import type { Db } from '../../core/db/database.ts';
import type { Severity } from '../../core/signals.ts';

/** A signal that asks for a page: a new or reopened incident, outside maintenance, not flapping, not under a parent. */
export interface PageRequest {
  incidentId: string;
  dedupKey: string;
  source: string;
  severity: Severity;
  summary: string;
  effect: 'opened' | 'reopened';
}

/** An incident left the triggered state: paging for it stops. */
export interface IncidentSettled {
  incidentId: string;
  state: 'acknowledged' | 'resolved';
  /** Actor reference (`user:…`, `token:…`, `signal`). */
  by: string;
}

type Listener<T> = (db: Db, e: T) => Promise<void>;

/**
 * What other modules may follow about incidents, delivered inside the transaction that made the change: a listener's
 * writes (an escalation, a page in the outbox) commit or roll back with it, so a page is never lost nor made for a
 * change that did not happen. Listeners must be quick and must not throw for ordinary reasons.
 */
export class IncidentEvents {
  readonly #paged: Listener<PageRequest>[] = [];
  readonly #settled: Listener<IncidentSettled>[] = [];

  onPage(fn: Listener<PageRequest>): void {
    this.#paged.push(fn);
  }

  onSettled(fn: Listener<IncidentSettled>): void {
    this.#settled.push(fn);
  }

  async page(db: Db, e: PageRequest): Promise<void> {
    for (const fn of this.#paged) await fn(db, e);
  }

  async settled(db: Db, e: IncidentSettled): Promise<void> {
    for (const fn of this.#settled) await fn(db, e);
  }
}
