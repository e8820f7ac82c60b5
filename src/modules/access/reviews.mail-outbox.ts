import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import { ChannelError, oneLine, type SmtpSender } from '../oncall/index.ts';
import { NO_TRANSPORT, reviewMailMessageId } from './reviews.mail.ts';
import type { AccessReviewMailTable } from './reviews.tables.ts';

const MINUTE = 60_000;
/** Rows sent per round, at most; the rest wait for the next sweep. */
const BATCH = 50;

export interface ReviewMailOutboxDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  /** A fresh SMTP sender for one round; null when no mail transport is configured. */
  sender: (() => SmtpSender) | null;
  /** The server as logs may name it (smtp://user@host:port, never the password). */
  server?: string | undefined;
  /** Attempts while the server answers 4xx or cannot be reached; then the mail is failed. */
  attempts: number;
  /** How long a mail being sent is held before another worker may take it over (a crash mid-send), ms. */
  leaseMs: number;
}

export interface MailRound {
  sent: number;
  retrying: number;
  failed: number;
  notSent: number;
}

type Outcome = { ok: true; receipt: string } | { ok: false; retryable: boolean; error: string; unreachable?: boolean };

/**
 * Sends the review reminder e-mails the sweep queued (reviews.mail.ts). Each due row is claimed (state sending, one more
 * attempt, a lease), sent outside any transaction, then recorded: sent with the server's reply; an SMTP 4xx or a
 * connection problem waits 1, 4, 16, … minutes and tries again until the attempts are used up; an SMTP 5xx (or a refused
 * login, or a bad certificate) fails at once with the server's reply. A crash after the server took the mail but
 * before it was recorded sends it once more when the lease runs out, with the same Message-ID.
 */
export class ReviewMailOutbox {
  readonly #d: ReviewMailOutboxDeps;

  constructor(d: ReviewMailOutboxDeps) {
    this.#d = d;
  }

  /** One round: send every due mail (at most 50). */
  async deliverMail(): Promise<MailRound> {
    const { database, clock, log } = this.#d;
    const out: MailRound = { sent: 0, retrying: 0, failed: 0, notSent: 0 };
    const nowIso = clock.now().toISOString();
    if (!this.#d.sender) {
      // Queued while a transport was configured, and it is gone now: never silently left waiting.
      const r = await database.db
        .updateTable('access_review_mail')
        .set({ state: 'not_sent', last_error: NO_TRANSPORT, next_attempt_at: null, lease_until: null })
        .where((eb) =>
          eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'sending'), eb('lease_until', '<', nowIso)])]),
        )
        .executeTakeFirst();
      out.notSent = Number(r.numUpdatedRows);
      return out;
    }
    const due = await database.db
      .selectFrom('access_review_mail')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'pending'), eb('next_attempt_at', '<=', nowIso)]),
          eb.and([eb('state', '=', 'sending'), eb('lease_until', '<', nowIso)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .execute();
    if (due.length === 0) return out;
    const smtp = this.#d.sender();
    try {
      for (const row of due) {
        const mine = await this.#claim(row);
        if (!mine) continue;
        const outcome = await this.#send(smtp, mine);
        const state = await this.#record(mine, outcome);
        if (state === 'sent') out.sent++;
        else if (state === 'pending') out.retrying++;
        else if (state === 'failed') {
          out.failed++;
          log.warn(
            { mail: mine.id, reminder: mine.reminder_id, error: outcome.ok ? '' : outcome.error },
            'access: reminder e-mail failed',
          );
        }
        // The server is down or unreachable: the rest wait for the next round rather than hold up the sweep a timeout each.
        if (!outcome.ok && outcome.unreachable) {
          log.warn({ server: this.#d.server, error: outcome.error }, 'access: SMTP server unreachable, reminder e-mails wait');
          break;
        }
      }
    } finally {
      smtp.close();
    }
    return out;
  }

  /** Take a row if nobody changed it since it was read (another engine, or a lease that ran out). */
  async #claim(row: AccessReviewMailTable): Promise<AccessReviewMailTable | null> {
    const now = this.#d.clock.now();
    const set = {
      state: 'sending',
      attempts: Number(row.attempts) + 1,
      lease_until: new Date(now.getTime() + this.#d.leaseMs).toISOString(),
      last_attempt_at: now.toISOString(),
    };
    const r = await this.#d.database.db
      .updateTable('access_review_mail')
      .set(set)
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? { ...row, ...set } : null;
  }

  async #send(smtp: SmtpSender, row: AccessReviewMailTable): Promise<Outcome> {
    if (!row.to_address || !row.subject || row.body_text === null || row.body_html === null)
      return { ok: false, retryable: false, error: 'nothing to send: the mail has no address or no text' };
    const name = await this.#d.database.db
      .selectFrom('access_people')
      .select('name')
      .where('id', '=', row.to_person_id)
      .executeTakeFirst();
    try {
      const r = await smtp.send({
        to: { name: oneLine(name?.name ?? '', 100), address: row.to_address },
        subject: row.subject,
        text: row.body_text,
        html: row.body_html,
        messageId: reviewMailMessageId(row.id),
        headers: { 'X-Skjold-Delivery': row.id, 'Auto-Submitted': 'auto-generated' },
      });
      return { ok: true, receipt: r.receipt.slice(0, 500) };
    } catch (e) {
      if (e instanceof ChannelError)
        return {
          ok: false,
          retryable: e.retryable,
          error: e.message,
          unreachable: e.code === 'timeout' || e.code === 'connection_failed',
        };
      this.#d.log.error({ err: e, mail: row.id }, 'access: reminder e-mail failed unexpectedly');
      return { ok: false, retryable: false, error: `unexpected: ${String((e as Error)?.message ?? e).slice(0, 300)}` };
    }
  }

  /** Record the outcome if the row is still ours; returns the state it is left in (null: taken over meanwhile). */
  async #record(row: AccessReviewMailTable, outcome: Outcome): Promise<string | null> {
    const now = this.#d.clock.now();
    const attempts = Number(row.attempts);
    let set: Partial<AccessReviewMailTable>;
    if (outcome.ok) set = { state: 'sent', sent_at: now.toISOString(), receipt: outcome.receipt, last_error: null };
    else if (outcome.retryable && attempts < this.#d.attempts)
      set = {
        state: 'pending',
        // 1, 4, 16, 64 … minutes: a server that hiccups gets another go soon, one that is down is not hammered.
        next_attempt_at: new Date(now.getTime() + MINUTE * 4 ** (attempts - 1)).toISOString(),
        last_error: outcome.error,
      };
    else
      set = {
        state: 'failed',
        next_attempt_at: null,
        last_error: outcome.retryable ? `gave up after ${attempts} attempts: ${outcome.error}` : outcome.error,
      };
    const r = await this.#d.database.db
      .updateTable('access_review_mail')
      .set({ ...set, lease_until: null })
      .where('id', '=', row.id)
      .where('state', '=', 'sending')
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? (set.state ?? null) : null;
  }
}
