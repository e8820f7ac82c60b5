import { randomUUID } from 'node:crypto';
import type { Db } from '../../core/db/database.ts';
import { escapeHtml, isEmailAddress, oneLine } from '../oncall/index.ts';

/** Where a reminder e-mail stands. */
export const MAIL_STATES = ['pending', 'sending', 'sent', 'failed', 'not_sent', 'undeliverable'] as const;
export type MailState = (typeof MAIL_STATES)[number];

/** Why a reminder is recorded but not e-mailed when no SMTP server is configured. */
export const NO_TRANSPORT = 'not sent: no mail transport configured (SKJOLD_ACCESS_SMTP_URL)';

/** What the sweep knows when it writes a reminder or an escalation. */
export interface ReviewMailInput {
  reminderId: string;
  kind: 'reminder' | 'escalation';
  campaign: { id: string; name: string; dueAt: string };
  /** The reviewer (reminder) or the reviewer's manager (escalation). */
  to: { id: string; name: string; email: string | null };
  /** The reviewer whose entries it is about (the same person for a reminder). */
  about: { id: string; name: string };
  /** Undecided entries. */
  entries: number;
}

export interface ReviewMailQueueOptions {
  /** An SMTP server is configured: new mail is queued for the worker; otherwise it is recorded as not sent. */
  transport: boolean;
  /** Base URL of the console (links to the work list). */
  publicUrl: string;
  /** Zone the due date is shown in. */
  timeZone: string;
}

/** Where a reminder's e-mail stands, as the API shows it. */
export interface MailDeliveryView {
  state: MailState;
  /** The address it was (or would have been) sent to. */
  to: string | null;
  attempts: number;
  /** When the server took it. */
  sentAt: string | null;
  lastAttemptAt: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  /** Why it is not sent (yet): the server's reply, or why it was never tried. */
  error: string | null;
}

/** Message-ID of a reminder e-mail, the same on every attempt so a receiver can recognise a resend. */
export const reviewMailMessageId = (mailId: string): string => `<${mailId}@skjold>`;

/** The path of the reviewer's work list in the console. */
export const WORK_LIST_PATH = '/access/my-reviews';

function formatDue(dueAt: string, timeZone: string): string {
  const d = new Date(dueAt);
  try {
    // sv-SE formats as 2026-03-02 14:00, unambiguous in any language.
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(d);
    return `${local} (${timeZone})`;
  } catch {
    return `${dueAt.slice(0, 16).replace('T', ' ')} (UTC)`;
  }
}

/** Subject, plain text and HTML of a reminder or escalation e-mail. */
export function renderReviewMail(
  m: Omit<ReviewMailInput, 'reminderId'>,
  opts: Pick<ReviewMailQueueOptions, 'publicUrl' | 'timeZone'>,
): { subject: string; text: string; html: string } {
  const campaign = oneLine(m.campaign.name, 200);
  const due = formatDue(m.campaign.dueAt, opts.timeZone);
  const url = `${opts.publicUrl}${WORK_LIST_PATH}`;
  const n = `${m.entries} ${m.entries === 1 ? 'entry' : 'entries'}`;
  const to = oneLine(m.to.name, 100);
  const about = oneLine(m.about.name, 100);
  const escalation = m.kind === 'escalation';
  const subject = escalation
    ? `[Skjold] Overdue access review ${oneLine(campaign, 120)}: ${n} of ${about} escalated to you`
    : `[Skjold] Access review ${oneLine(campaign, 120)}: ${n} await your decision by ${due}`;
  const lead = escalation
    ? `The access review "${campaign}" was due ${due}. ${n} assigned to ${about} ${m.entries === 1 ? 'is' : 'are'} still undecided and now escalated to you, as ${about}'s manager.`
    : `${n} in the access review "${campaign}" ${m.entries === 1 ? 'awaits' : 'await'} your decision. The review is due ${due}.`;
  const why = escalation
    ? 'You are receiving this because entries you are the manager for in Skjold are overdue.'
    : 'You are receiving this because you review access in Skjold.';
  const text = [`Hello ${to},`, '', lead, '', `Your work list: ${url}`, '', why].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>Hello ${e(to)},</p>`,
    `<p>${e(lead)}</p>`,
    `<p><a href="${e(url)}">Open your work list</a></p>`,
    `<p style="color:#666;font-size:0.9em">${e(why)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/**
 * Write the e-mail of one reminder or escalation into the outbox, inside the sweep's transaction that writes the
 * reminder row (so a crash leaves both or neither). Without a transport it is recorded as not sent, without an address
 * as undeliverable, with the reason; the worker (reviews.mail-outbox.ts) sends the pending ones.
 */
export async function queueReviewMail(
  trx: Db,
  opts: ReviewMailQueueOptions,
  m: ReviewMailInput,
  nowIso: string,
): Promise<{ state: MailState; to: string | null; error: string | null }> {
  const address = m.to.email?.trim() || null;
  let state: MailState = 'pending';
  let error: string | null = null;
  if (!address) {
    state = 'undeliverable';
    error = `${oneLine(m.to.name, 100)} has no e-mail address`;
  } else if (!isEmailAddress(address)) {
    state = 'undeliverable';
    error = `${oneLine(m.to.name, 100)}'s e-mail address is not valid`;
  } else if (!opts.transport) {
    state = 'not_sent';
    error = NO_TRANSPORT;
  }
  const body = renderReviewMail(m, opts);
  await trx
    .insertInto('access_review_mail')
    .values({
      id: randomUUID(),
      reminder_id: m.reminderId,
      campaign_id: m.campaign.id,
      to_person_id: m.to.id,
      to_address: address,
      subject: body.subject,
      body_text: body.text,
      body_html: body.html,
      state,
      attempts: 0,
      next_attempt_at: state === 'pending' ? nowIso : null,
      lease_until: null,
      last_error: error,
      receipt: null,
      created_at: nowIso,
      last_attempt_at: null,
      sent_at: null,
    })
    .execute();
  return { state, to: address, error };
}

/** The delivery of each reminder (by reminder id), for the API's reminder lists. */
export async function mailDelivery(db: Db, reminderIds: string[]): Promise<Map<string, MailDeliveryView>> {
  const out = new Map<string, MailDeliveryView>();
  for (let i = 0; i < reminderIds.length; i += 500) {
    const rows = await db
      .selectFrom('access_review_mail')
      .selectAll()
      .where('reminder_id', 'in', reminderIds.slice(i, i + 500))
      .execute();
    for (const r of rows)
      out.set(r.reminder_id, {
        state: r.state as MailState,
        to: r.to_address,
        attempts: Number(r.attempts),
        sentAt: r.sent_at,
        lastAttemptAt: r.last_attempt_at,
        nextAttemptAt: r.state === 'pending' ? r.next_attempt_at : null,
        error: r.last_error,
      });
  }
  return out;
}

/** Reminders with their e-mail's delivery attached (`delivery: null` only for a reminder without an outbox row). */
export async function withDelivery<T extends { id: string }>(
  db: Db,
  reminders: T[],
): Promise<(T & { delivery: MailDeliveryView | null })[]> {
  if (reminders.length === 0) return [];
  const d = await mailDelivery(
    db,
    reminders.map((r) => r.id),
  );
  return reminders.map((r) => ({ ...r, delivery: d.get(r.id) ?? null }));
}
