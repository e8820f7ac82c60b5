import { randomUUID } from 'node:crypto';
import type { AuditChange, AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { SignalSink } from '../../core/signals.ts';
import { queueReviewMail, type ReviewMailQueueOptions } from './reviews.mail.ts';
import type { EntryResult } from './reviews.model.ts';
import { type ReviewsService, addMonths, parseJson } from './reviews.service.ts';

export interface ReviewSweepDeps {
  database: Database;
  clock: Clock;
  audit: AuditSink;
  signals: SignalSink;
  reviews: ReviewsService;
  /** How reminder e-mails are queued (reviews.mail.ts): transport configured or not, console URL, zone. */
  mail: ReviewMailQueueOptions;
}

/** The sweep's actor in the audit log. */
export const REVIEW_SWEEP_ACTOR = 'system:access-reviews';

const recorder = (changes: AuditChange[], target: { t?: string }) => ({
  target: (t: string) => void (target.t = t),
  change: (c: AuditChange) => void changes.push(c),
});

/**
 * The review part of the access sweep (issue 6 item 6): starts the campaigns policies have due; before a campaign's
 * due date reminds each reviewer with undecided entries once; after it flags undecided entries overdue, escalates them
 * to the reviewer's manager once, and raises one signal per campaign. Every change is audited in its transaction.
 * Each reminder and escalation also queues its e-mail to the person in the same transaction (reviews.mail.ts); the
 * outbox worker sends it (reviews.mail-outbox.ts).
 */
export async function sweepReviews(
  deps: ReviewSweepDeps,
): Promise<{ started: number; reminded: number; escalated: number; overdue: number }> {
  const { database, clock, audit } = deps;
  const now = clock.now();
  const nowIso = now.toISOString();
  const out = { started: 0, reminded: 0, escalated: 0, overdue: 0 };

  const due = await database.db
    .selectFrom('access_review_policies')
    .select(['id'])
    .where('enabled', '=', 1)
    .where('next_run_at', 'is not', null)
    .where('next_run_at', '<=', nowIso)
    .execute();
  for (const p of due) {
    await database.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('access_review_policies').selectAll().where('id', '=', p.id).executeTakeFirst();
      if (!row?.next_run_at || row.next_run_at > nowIso || row.enabled !== 1) return;
      const changes: AuditChange[] = [];
      const target: { t?: string } = {};
      await deps.reviews.start(trx, row.id, {}, REVIEW_SWEEP_ACTOR, recorder(changes, target));
      // The next run: one interval on, past now (missed runs are not started twice).
      let next = addMonths(new Date(row.next_run_at), Number(row.interval_months));
      while (next.getTime() <= now.getTime()) next = addMonths(next, Number(row.interval_months));
      await trx.updateTable('access_review_policies').set({ next_run_at: next.toISOString() }).where('id', '=', row.id).execute();
      await audit.appendInTx(trx, {
        actor: REVIEW_SWEEP_ACTOR,
        actorName: 'access reviews',
        action: 'access.campaign.start',
        target: target.t,
        outcome: 'allowed',
        changes,
        detail: { policyId: row.id, scheduled: true, nextRunAt: next.toISOString() },
      });
      out.started++;
    });
  }

  const open = await database.db.selectFrom('access_campaigns').selectAll().where('state', '=', 'open').execute();
  for (const c of open) {
    const dueMs = Date.parse(c.due_at);
    const policy = await database.db
      .selectFrom('access_review_policies')
      .select(['remind_days'])
      .where('id', '=', c.policy_id)
      .executeTakeFirst();
    const remindDays = Number(policy?.remind_days ?? 0);
    if (now.getTime() < dueMs) {
      if (remindDays > 0 && now.getTime() >= dueMs - remindDays * 86_400_000)
        out.reminded += await remind(deps, { id: c.id, name: c.name, dueAt: c.due_at }, nowIso);
      continue;
    }
    const r = await overdue(deps, c.id, c.name, c.due_at, c.overdue_signalled === 1, nowIso);
    out.escalated += r.escalated;
    out.overdue += r.overdue;
  }

  // A closed campaign's overdue signal is over.
  const closedSignalled = await database.db
    .selectFrom('access_campaigns')
    .select(['id', 'name'])
    .where('state', '=', 'closed')
    .where('overdue_signalled', '=', 1)
    .execute();
  for (const c of closedSignalled) {
    await database.db.transaction().execute(async (trx) => {
      await deps.signals.raise(trx, {
        source: 'access',
        dedupKey: `access:review-overdue:${c.id}`,
        status: 'resolved',
        severity: 'minor',
        summary: `Access review ${c.name} is closed`,
        occurredAt: now,
      });
      await trx.updateTable('access_campaigns').set({ overdue_signalled: 0 }).where('id', '=', c.id).execute();
    });
  }
  return out;
}

/** One reminder per reviewer with undecided entries, before the due date. */
async function remind(
  deps: ReviewSweepDeps,
  campaign: { id: string; name: string; dueAt: string },
  nowIso: string,
): Promise<number> {
  const campaignId = campaign.id;
  return deps.database.db.transaction().execute(async (trx) => {
    const pending = await undecidedByReviewer(trx, campaignId);
    const already = new Set(
      (
        await trx
          .selectFrom('access_review_reminders')
          .select('to_person_id')
          .where('campaign_id', '=', campaignId)
          .where('kind', '=', 'reminder')
          .execute()
      ).map((r) => r.to_person_id),
    );
    const changes: AuditChange[] = [];
    const fresh = [...pending].filter(([reviewer]) => !already.has(reviewer));
    if (fresh.length === 0) return 0;
    const people = await peopleById(trx);
    for (const [reviewer, n] of fresh) {
      const id = randomUUID();
      await trx
        .insertInto('access_review_reminders')
        .values({
          id,
          campaign_id: campaignId,
          kind: 'reminder',
          to_person_id: reviewer,
          about_person_id: reviewer,
          entries: n,
          sent_at: nowIso,
        })
        .execute();
      const to = people.get(reviewer) ?? { id: reviewer, name: reviewer, email: null, manager_id: null };
      const mail = await queueReviewMail(
        trx,
        deps.mail,
        { reminderId: id, kind: 'reminder', campaign, to, about: to, entries: n },
        nowIso,
      );
      changes.push({
        type: 'access_review_reminder',
        id,
        after: { kind: 'reminder', toPersonId: reviewer, entries: n, mail: mail.state },
      });
    }
    if (changes.length)
      await deps.audit.appendInTx(trx, {
        actor: REVIEW_SWEEP_ACTOR,
        actorName: 'access reviews',
        action: 'access.campaign.remind',
        target: `access_campaign:${campaignId}`,
        outcome: 'allowed',
        changes,
      });
    return changes.length;
  });
}

type PersonRow = { id: string; name: string; email: string | null; manager_id: string | null };

async function peopleById(db: Db): Promise<Map<string, PersonRow>> {
  const rows = await db.selectFrom('access_people').select(['id', 'name', 'email', 'manager_id']).execute();
  return new Map(rows.map((p) => [p.id, p]));
}

async function undecidedByReviewer(db: Db, campaignId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('access_campaign_entries')
    .select(['reviewer_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', campaignId)
    .where('decision', 'is', null)
    .where('reviewer_id', 'is not', null)
    .groupBy('reviewer_id')
    .execute();
  return new Map(rows.map((r) => [r.reviewer_id!, Number(r.n)]));
}

/** Past the due date: undecided entries flagged overdue and escalated once to the reviewer's manager; one signal. */
async function overdue(
  deps: ReviewSweepDeps,
  campaignId: string,
  name: string,
  dueAt: string,
  signalled: boolean,
  nowIso: string,
): Promise<{ escalated: number; overdue: number }> {
  return deps.database.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('access_campaign_entries')
      .select(['id', 'reviewer_id', 'escalated_to', 'overdue', 'result', 'facts'])
      .where('campaign_id', '=', campaignId)
      .where('decision', 'is', null)
      .execute();
    const changes: AuditChange[] = [];
    const people = await peopleById(trx);
    const managers = new Map([...people.values()].map((p) => [p.id, p.manager_id]));
    const escalations = new Map<string, { to: string; about: string; n: number }>();
    let newlyOverdue = 0;
    for (const e of rows) {
      const set: { overdue?: number; escalated_to?: string; result?: string; updated_at?: string } = {};
      if (e.overdue !== 1) {
        set.overdue = 1;
        newlyOverdue++;
      }
      const manager = e.reviewer_id ? (managers.get(e.reviewer_id) ?? null) : null;
      const subject = parseJson<{ personId?: string | null }>(e.facts, {}).personId ?? null;
      if (!e.escalated_to && manager && manager !== subject) {
        set.escalated_to = manager;
        const result = parseJson<EntryResult>(e.result, {});
        result.reassignments = [
          ...(result.reassignments ?? []),
          { from: e.reviewer_id, to: manager, by: REVIEW_SWEEP_ACTOR, at: nowIso, reason: `overdue since ${dueAt}` },
        ];
        set.result = JSON.stringify(result);
        const k = `${manager}:${e.reviewer_id}`;
        const x = escalations.get(k) ?? { to: manager, about: e.reviewer_id!, n: 0 };
        x.n++;
        escalations.set(k, x);
      }
      if (Object.keys(set).length === 0) continue;
      set.updated_at = nowIso;
      await trx.updateTable('access_campaign_entries').set(set).where('id', '=', e.id).execute();
      changes.push({
        type: 'access_review_entry',
        id: e.id,
        before: { overdue: e.overdue === 1, escalatedTo: e.escalated_to },
        after: { overdue: true, escalatedTo: set.escalated_to ?? e.escalated_to },
      });
    }
    for (const x of escalations.values()) {
      const id = randomUUID();
      await trx
        .insertInto('access_review_reminders')
        .values({
          id,
          campaign_id: campaignId,
          kind: 'escalation',
          to_person_id: x.to,
          about_person_id: x.about,
          entries: x.n,
          sent_at: nowIso,
        })
        .execute();
      const person = (pid: string) => people.get(pid) ?? { id: pid, name: pid, email: null };
      const mail = await queueReviewMail(
        trx,
        deps.mail,
        {
          reminderId: id,
          kind: 'escalation',
          campaign: { id: campaignId, name, dueAt },
          to: person(x.to),
          about: person(x.about),
          entries: x.n,
        },
        nowIso,
      );
      changes.push({
        type: 'access_review_reminder',
        id,
        after: { kind: 'escalation', toPersonId: x.to, aboutPersonId: x.about, entries: x.n, mail: mail.state },
      });
    }
    if (rows.length > 0 && !signalled) {
      await deps.signals.raise(trx, {
        source: 'access',
        dedupKey: `access:review-overdue:${campaignId}`,
        status: 'firing',
        severity: 'minor',
        summary: `Access review ${name} is overdue: ${rows.length} entries undecided since ${dueAt}`,
        details: { campaignId, undecided: rows.length, dueAt },
      });
      await trx.updateTable('access_campaigns').set({ overdue_signalled: 1 }).where('id', '=', campaignId).execute();
    }
    if (changes.length)
      await deps.audit.appendInTx(trx, {
        actor: REVIEW_SWEEP_ACTOR,
        actorName: 'access reviews',
        action: 'access.campaign.overdue',
        target: `access_campaign:${campaignId}`,
        outcome: 'allowed',
        changes,
      });
    return { escalated: escalations.size, overdue: newlyOverdue };
  });
}
