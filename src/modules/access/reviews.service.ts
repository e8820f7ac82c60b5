import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { CampaignsQuery, EntriesQuery, ReviewPolicyBody, StartCampaignBody } from './api/reviews.schemas.ts';
import type { CampaignScope, EntryFacts, EntryResult, ReviewFlag, ReviewScope, ReviewerRule } from './reviews.model.ts';
import { reviewErrors } from './reviews.errors.ts';
import { type AccountSource, freezeScope } from './reviews.snapshot.ts';
import type { AccessCampaignEntriesTable, AccessCampaignsTable, AccessReviewPoliciesTable } from './reviews.tables.ts';

/** A review policy as the API shows it. */
export interface ReviewPolicyView {
  id: string;
  name: string;
  scope: ReviewScope;
  privilegedOnly: boolean;
  systemIds: string[];
  siteIds: string[];
  intervalMonths: number;
  dueDays: number;
  remindDays: number;
  reviewerRule: ReviewerRule;
  inactiveDays: number;
  enabled: boolean;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A campaign with its progress. */
export interface CampaignView {
  id: string;
  policyId: string;
  name: string;
  scope: CampaignScope;
  state: 'open' | 'closed';
  startedAt: string;
  startedBy: string;
  dueAt: string;
  closedAt: string | null;
  lockedBy: string | null;
  closeReason: string | null;
  previousId: string | null;
  total: number;
  decided: number;
  overdue: number;
  /** Reviewers (people) with entries in the campaign, by name. */
  reviewers: { id: string; name: string; total: number; decided: number }[];
}

/** One review entry: its frozen facts, flags, reviewer and decision. */
export interface EntryView {
  id: string;
  campaignId: string;
  seq: number;
  subjectKey: string;
  facts: EntryFacts;
  flags: ReviewFlag[];
  reviewerId: string | null;
  reviewerName: string | null;
  escalatedTo: string | null;
  escalatedToName: string | null;
  decision: string | null;
  reason: string | null;
  reduceTo: string | null;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  overdue: boolean;
  undecidedAtClose: boolean;
  result: EntryResult;
}

export const parseJson = <T>(s: string, fallback: T): T => {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};

function policyView(r: AccessReviewPoliciesTable): ReviewPolicyView {
  return {
    id: r.id,
    name: r.name,
    scope: r.scope as ReviewScope,
    privilegedOnly: r.privileged_only === 1,
    systemIds: parseJson<string[]>(r.system_ids, []),
    siteIds: parseJson<string[]>(r.site_ids, []),
    intervalMonths: Number(r.interval_months),
    dueDays: Number(r.due_days),
    remindDays: Number(r.remind_days),
    reviewerRule: r.reviewer_rule as ReviewerRule,
    inactiveDays: Number(r.inactive_days),
    enabled: r.enabled === 1,
    nextRunAt: r.next_run_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function entryView(r: AccessCampaignEntriesTable, names: Map<string, string>): EntryView {
  return {
    id: r.id,
    campaignId: r.campaign_id,
    seq: Number(r.seq),
    subjectKey: r.subject_key,
    facts: parseJson<EntryFacts>(r.facts, {} as EntryFacts),
    flags: parseJson<ReviewFlag[]>(r.flags, []),
    reviewerId: r.reviewer_id,
    reviewerName: r.reviewer_id ? (names.get(r.reviewer_id) ?? null) : null,
    escalatedTo: r.escalated_to,
    escalatedToName: r.escalated_to ? (names.get(r.escalated_to) ?? null) : null,
    decision: r.decision,
    reason: r.reason,
    reduceTo: r.reduce_to,
    decidedBy: r.decided_by,
    decidedByName: r.decided_by_name,
    decidedAt: r.decided_at,
    overdue: r.overdue === 1,
    undecidedAtClose: r.undecided_at_close === 1,
    result: parseJson<EntryResult>(r.result, {}),
  };
}

/** Add months in UTC, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(d: Date, months: number): Date {
  const out = new Date(d.getTime());
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, last));
  return out;
}

export async function personNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('access_people').select(['id', 'name']).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface ReviewsServiceDeps {
  clock: Clock;
  /** Imported accounts, once the ACCOUNTS part provides them. */
  accounts?: AccountSource | undefined;
}

/**
 * Review policies and campaigns (issue 6 item 6, P7): a policy schedules campaigns; starting one freezes its scope into
 * entries (snapshots), flagged and assigned to reviewers. Decisions, reminders and the lock are in reviews.decisions.ts
 * and reviews.sweep.ts.
 */
export class ReviewsService {
  constructor(private readonly deps: ReviewsServiceDeps) {}

  async policyRow(db: Db, id: string): Promise<AccessReviewPoliciesTable> {
    const r = await db.selectFrom('access_review_policies').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw reviewErrors.policyNotFound(id);
    return r;
  }

  async listPolicies(db: Db): Promise<ReviewPolicyView[]> {
    const rows = await db.selectFrom('access_review_policies').selectAll().orderBy('name').execute();
    return rows.map(policyView);
  }

  async getPolicy(db: Db, id: string): Promise<ReviewPolicyView> {
    return policyView(await this.policyRow(db, id));
  }

  private async checkTargets(db: Db, input: ReviewPolicyBody): Promise<void> {
    if (input.systemIds.length) {
      const found = new Set(
        (await db.selectFrom('access_systems').select('id').where('id', 'in', input.systemIds).execute()).map((r) => r.id),
      );
      const missing = input.systemIds.find((id) => !found.has(id));
      if (missing) throw reviewErrors.targetNotFound('system', missing);
    }
    if (input.siteIds.length) {
      const found = new Set(
        (await db.selectFrom('access_sites').select('id').where('id', 'in', input.siteIds).execute()).map((r) => r.id),
      );
      const missing = input.siteIds.find((id) => !found.has(id));
      if (missing) throw reviewErrors.targetNotFound('site', missing);
    }
  }

  private rowFrom(input: ReviewPolicyBody, now: Date): Omit<AccessReviewPoliciesTable, 'id' | 'created_at' | 'updated_at'> {
    const next =
      input.nextRunAt === undefined
        ? input.enabled
          ? addMonths(now, input.intervalMonths).toISOString()
          : null
        : input.nextRunAt === null
          ? null
          : new Date(input.nextRunAt).toISOString();
    return {
      name: input.name,
      scope: input.scope,
      privileged_only: input.privilegedOnly ? 1 : 0,
      system_ids: JSON.stringify([...new Set(input.systemIds)]),
      site_ids: JSON.stringify([...new Set(input.siteIds)]),
      interval_months: input.intervalMonths,
      due_days: input.dueDays,
      remind_days: input.remindDays,
      reviewer_rule: input.reviewerRule,
      inactive_days: input.inactiveDays,
      enabled: input.enabled ? 1 : 0,
      next_run_at: next,
    };
  }

  async createPolicy(db: Db, input: ReviewPolicyBody, audit: AuditRecorder): Promise<ReviewPolicyView> {
    if (await db.selectFrom('access_review_policies').select('id').where('name', '=', input.name).executeTakeFirst())
      throw reviewErrors.policyExists(input.name);
    await this.checkTargets(db, input);
    const now = this.deps.clock.now();
    const row: AccessReviewPoliciesTable = {
      id: randomUUID(),
      ...this.rowFrom(input, now),
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    await db.insertInto('access_review_policies').values(row).execute();
    const v = policyView(row);
    audit.target(`access_review_policy:${row.id}`);
    audit.change({ type: 'access_review_policy', id: row.id, before: null, after: { ...v } });
    return v;
  }

  async updatePolicy(db: Db, id: string, input: ReviewPolicyBody, audit: AuditRecorder): Promise<ReviewPolicyView> {
    const before = await this.policyRow(db, id);
    const clash = await db
      .selectFrom('access_review_policies')
      .select('id')
      .where('name', '=', input.name)
      .where('id', '<>', id)
      .executeTakeFirst();
    if (clash) throw reviewErrors.policyExists(input.name);
    await this.checkTargets(db, input);
    const now = this.deps.clock.now();
    const fields = this.rowFrom(input, now);
    // An unchanged schedule keeps its next run unless one is given.
    if (
      input.nextRunAt === undefined &&
      before.interval_months === input.intervalMonths &&
      input.enabled === (before.enabled === 1)
    )
      fields.next_run_at = before.next_run_at;
    const row: AccessReviewPoliciesTable = { ...before, ...fields, updated_at: now.toISOString() };
    await db.updateTable('access_review_policies').set(row).where('id', '=', id).execute();
    audit.target(`access_review_policy:${id}`);
    audit.change({ type: 'access_review_policy', id, before: { ...policyView(before) }, after: { ...policyView(row) } });
    return policyView(row);
  }

  /**
   * Start a campaign of a policy now: the scope is frozen into entries (snapshots of the grants and accounts as they
   * are), flagged against the policy's previous closed campaign, and assigned to reviewers.
   */
  async start(
    db: Db,
    policyId: string,
    input: StartCampaignBody,
    by: string,
    audit: AuditRecorder,
  ): Promise<{ campaign: CampaignView }> {
    const p = await this.policyRow(db, policyId);
    const now = this.deps.clock.now();
    const prev = await db
      .selectFrom('access_campaigns')
      .select('id')
      .where('policy_id', '=', policyId)
      .where('state', '=', 'closed')
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    let previous: Map<string, { level: string | null; privileged: boolean }> | null = null;
    if (prev) {
      previous = new Map();
      const rows = await db
        .selectFrom('access_campaign_entries')
        .select(['subject_key', 'facts'])
        .where('campaign_id', '=', prev.id)
        .execute();
      for (const r of rows) {
        const f = parseJson<EntryFacts>(r.facts, {} as EntryFacts);
        previous.set(r.subject_key, { level: f.level ?? null, privileged: f.privileged === true });
      }
    }
    const pv = policyView(p);
    const frozen = await freezeScope(db, {
      scope: pv.scope,
      privilegedOnly: pv.privilegedOnly,
      reviewerRule: pv.reviewerRule,
      inactiveDays: pv.inactiveDays,
      systemIds: pv.systemIds,
      siteIds: pv.siteIds,
      now,
      previous,
      accounts: this.deps.accounts,
    });
    const scope: CampaignScope = {
      policyName: pv.name,
      scope: pv.scope,
      privilegedOnly: pv.privilegedOnly,
      reviewerRule: pv.reviewerRule,
      inactiveDays: pv.inactiveDays,
      targets: frozen.targets,
    };
    const campaign: AccessCampaignsTable = {
      id: randomUUID(),
      policy_id: p.id,
      name: input.name ?? `${p.name} ${now.toISOString().slice(0, 10)}`,
      scope: JSON.stringify(scope),
      state: 'open',
      started_at: now.toISOString(),
      started_by: by,
      due_at: new Date(now.getTime() + pv.dueDays * 86_400_000).toISOString(),
      closed_at: null,
      locked_by: null,
      close_reason: null,
      previous_id: prev?.id ?? null,
      overdue_signalled: 0,
    };
    await db.insertInto('access_campaigns').values(campaign).execute();
    const rows: AccessCampaignEntriesTable[] = frozen.entries.map((e, i) => ({
      id: randomUUID(),
      campaign_id: campaign.id,
      seq: i + 1,
      subject_key: e.subjectKey,
      facts: JSON.stringify(e.facts),
      flags: JSON.stringify(e.flags),
      reviewer_id: e.reviewerId,
      escalated_to: null,
      decision: null,
      reason: null,
      reduce_to: null,
      decided_by: null,
      decided_by_name: null,
      decided_at: null,
      overdue: 0,
      undecided_at_close: 0,
      result: '{}',
      updated_at: now.toISOString(),
    }));
    // 18 columns a row: 50 rows a statement stay far below SQLite's bound-variable limit.
    for (let i = 0; i < rows.length; i += 50)
      await db
        .insertInto('access_campaign_entries')
        .values(rows.slice(i, i + 50))
        .execute();
    audit.target(`access_campaign:${campaign.id}`);
    audit.change({
      type: 'access_campaign',
      id: campaign.id,
      before: null,
      after: { policyId: p.id, name: campaign.name, dueAt: campaign.due_at, entries: rows.length, targets: scope.targets.length },
    });
    return { campaign: await this.get(db, campaign.id) };
  }

  async campaignRow(db: Db, id: string): Promise<AccessCampaignsTable> {
    const r = await db.selectFrom('access_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw reviewErrors.campaignNotFound(id);
    return r;
  }

  private async views(db: Db, rows: AccessCampaignsTable[]): Promise<CampaignView[]> {
    if (rows.length === 0) return [];
    const names = await personNames(db);
    const ids = rows.map((r) => r.id);
    const counts = await db
      .selectFrom('access_campaign_entries')
      .select([
        'campaign_id',
        'reviewer_id',
        (eb) => eb.fn.countAll<number>().as('total'),
        (eb) => eb.fn.count<number>('decision').as('decided'),
        (eb) => eb.fn.sum<number>('overdue').as('overdue'),
      ])
      .where('campaign_id', 'in', ids)
      .groupBy(['campaign_id', 'reviewer_id'])
      .execute();
    return rows.map((r) => {
      const mine = counts.filter((c) => c.campaign_id === r.id);
      const reviewers = mine
        .filter((c) => c.reviewer_id)
        .map((c) => ({
          id: c.reviewer_id!,
          name: names.get(c.reviewer_id!) ?? c.reviewer_id!,
          total: Number(c.total),
          decided: Number(c.decided),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      return {
        id: r.id,
        policyId: r.policy_id,
        name: r.name,
        scope: parseJson<CampaignScope>(r.scope, {} as CampaignScope),
        state: r.state as 'open' | 'closed',
        startedAt: r.started_at,
        startedBy: r.started_by,
        dueAt: r.due_at,
        closedAt: r.closed_at,
        lockedBy: r.locked_by,
        closeReason: r.close_reason,
        previousId: r.previous_id,
        total: mine.reduce((n, c) => n + Number(c.total), 0),
        decided: mine.reduce((n, c) => n + Number(c.decided), 0),
        overdue: mine.reduce((n, c) => n + Number(c.overdue ?? 0), 0),
        reviewers,
      };
    });
  }

  async list(db: Db, q: Partial<CampaignsQuery> = {}): Promise<CampaignView[]> {
    let query = db.selectFrom('access_campaigns').selectAll();
    if (q.state) query = query.where('state', '=', q.state);
    if (q.policyId) query = query.where('policy_id', '=', q.policyId);
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id')
      .limit(q.limit ?? 200)
      .execute();
    return this.views(db, rows);
  }

  async get(db: Db, id: string): Promise<CampaignView> {
    const [v] = await this.views(db, [await this.campaignRow(db, id)]);
    return v!;
  }

  async entries(db: Db, campaignId: string, q: Partial<EntriesQuery> = {}): Promise<EntryView[]> {
    await this.campaignRow(db, campaignId);
    let query = db.selectFrom('access_campaign_entries').selectAll().where('campaign_id', '=', campaignId);
    if (q.decision === 'undecided') query = query.where('decision', 'is', null);
    else if (q.decision) query = query.where('decision', '=', q.decision);
    if (q.reviewerId) query = query.where('reviewer_id', '=', q.reviewerId);
    if (q.overdue) query = query.where('overdue', '=', q.overdue === 'true' ? 1 : 0);
    const rows = await query.orderBy('seq').execute();
    const names = await personNames(db);
    let out = rows.map((r) => entryView(r, names));
    if (q.flag) out = out.filter((e) => e.flags.includes(q.flag!));
    if (q.q) {
      const needle = q.q.toLowerCase();
      out = out.filter((e) =>
        [e.facts.personName, e.facts.targetName, e.facts.level, e.facts.account].some((v) =>
          (v ?? '').toLowerCase().includes(needle),
        ),
      );
    }
    return out;
  }

  /** The person a Skjold user is (access_people.user_id), if any. */
  async personOfUser(db: Db, userId: string): Promise<{ id: string; name: string } | null> {
    const r = await db.selectFrom('access_people').select(['id', 'name']).where('user_id', '=', userId).executeTakeFirst();
    return r ?? null;
  }

  /** A reviewer's work list: undecided entries of open campaigns assigned (or escalated) to them, and their reminders. */
  async mine(
    db: Db,
    userId: string,
  ): Promise<{
    person: { id: string; name: string } | null;
    entries: (EntryView & { campaignName: string; dueAt: string })[];
    reminders: { id: string; campaignId: string; campaignName: string; kind: string; entries: number; sentAt: string }[];
  }> {
    const person = await this.personOfUser(db, userId);
    if (!person) return { person: null, entries: [], reminders: [] };
    const rows = await db
      .selectFrom('access_campaign_entries as e')
      .innerJoin('access_campaigns as c', 'c.id', 'e.campaign_id')
      .selectAll('e')
      .select(['c.name as campaign_name', 'c.due_at as campaign_due_at'])
      .where('c.state', '=', 'open')
      .where('e.decision', 'is', null)
      .where((eb) => eb.or([eb('e.reviewer_id', '=', person.id), eb('e.escalated_to', '=', person.id)]))
      .orderBy('c.due_at')
      .orderBy('e.seq')
      .execute();
    const names = await personNames(db);
    const reminders = await db
      .selectFrom('access_review_reminders as r')
      .innerJoin('access_campaigns as c', 'c.id', 'r.campaign_id')
      .select(['r.id', 'r.campaign_id', 'c.name', 'r.kind', 'r.entries', 'r.sent_at'])
      .where('r.to_person_id', '=', person.id)
      .where('c.state', '=', 'open')
      .orderBy('r.sent_at', 'desc')
      .execute();
    return {
      person,
      entries: rows.map((r) => ({ ...entryView(r, names), campaignName: r.campaign_name, dueAt: r.campaign_due_at })),
      reminders: reminders.map((r) => ({
        id: r.id,
        campaignId: r.campaign_id,
        campaignName: r.name,
        kind: r.kind,
        entries: Number(r.entries),
        sentAt: r.sent_at,
      })),
    };
  }

  async reminders(
    db: Db,
    campaignId: string,
  ): Promise<
    {
      id: string;
      kind: string;
      toPersonId: string;
      toName: string | null;
      aboutPersonId: string;
      entries: number;
      sentAt: string;
    }[]
  > {
    await this.campaignRow(db, campaignId);
    const names = await personNames(db);
    const rows = await db
      .selectFrom('access_review_reminders')
      .selectAll()
      .where('campaign_id', '=', campaignId)
      .orderBy('sent_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      toPersonId: r.to_person_id,
      toName: names.get(r.to_person_id) ?? null,
      aboutPersonId: r.about_person_id,
      entries: Number(r.entries),
      sentAt: r.sent_at,
    }));
  }
}
