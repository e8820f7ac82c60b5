import type { AuditRecorder } from '../../core/audit.ts';
import type { Actor } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { DecisionBody } from './api/reviews.schemas.ts';
import type { AccessLevel } from './model.ts';
import type { EntryFacts, EntryResult, Reassignment } from './reviews.model.ts';
import { reviewErrors } from './reviews.errors.ts';
import { type EntryView, entryView, parseJson, personNames } from './reviews.service.ts';
import type { AccessCampaignEntriesTable } from './reviews.tables.ts';

/** Who acts, as the grant and task services record it. */
export interface EffectActor {
  ref: string;
  name: string | null;
  actor: Actor;
}

/**
 * What a decision does outside the review tables, through the parts that own those things: the PEOPLE part ends and
 * replaces logical grants, the PHYSICAL part ends site grants, the ACCOUNTS part opens removal tasks. Each runs in the
 * decision's transaction and records its own audit changes.
 */
export interface ReviewEffects {
  endGrant(db: Db, grantId: string, by: EffectActor, reason: string, audit: AuditRecorder): Promise<{ state: string }>;
  /** A new active grant at `level` for the same person and system, and the old one ended. */
  reduceGrant(
    db: Db,
    grantId: string,
    level: string,
    by: EffectActor,
    reason: string,
    audit: AuditRecorder,
  ): Promise<{ newGrantId: string }>;
  endSiteGrant?(db: Db, siteGrantId: string, by: EffectActor, reason: string, audit: AuditRecorder): Promise<{ state: string }>;
  /** Open a task to remove the account from the system; it closes when a later import shows it gone. */
  openRemovalTask?(
    db: Db,
    input: {
      systemId: string;
      account: string;
      personId: string | null;
      grantId: string | null;
      reviewEntryId: string;
      reason: string;
      by: string;
    },
    audit: AuditRecorder,
  ): Promise<{ taskId: string }>;
}

export interface DecideDeps {
  clock: Clock;
  effects: ReviewEffects;
  /** Whether the actor manages campaigns (admins and the security officer decide any entry). */
  isCampaignManager: (actor: Actor) => boolean;
}

const actorOf = (actor: Actor): EffectActor => ({
  actor,
  ref: actor.type === 'anonymous' ? 'anonymous' : actor.id,
  name: actor.type === 'user' || actor.type === 'token' ? actor.username : actor.type === 'system' ? actor.name : null,
});

/**
 * One reviewer decision on one entry (issue 6 item 6), with its effects in the same transaction: keep; revoke (grant
 * ended, removal task opened); reduce (a lower, non-privileged level of the same system instead); defer (with a
 * reason); escalate (the entry goes to the reviewer's manager, still undecided). Decisions are final; a closed
 * campaign refuses them all.
 */
export async function decideEntry(
  deps: DecideDeps,
  db: Db,
  entryId: string,
  body: DecisionBody,
  actor: Actor,
  audit: AuditRecorder,
): Promise<EntryView> {
  const entry = await db.selectFrom('access_campaign_entries').selectAll().where('id', '=', entryId).executeTakeFirst();
  if (!entry) throw reviewErrors.entryNotFound(entryId);
  // Touching the campaign row takes its lock (PostgreSQL): a close and a decision never interleave.
  const open = await db
    .updateTable('access_campaigns')
    .set({ state: 'open' })
    .where('id', '=', entry.campaign_id)
    .where('state', '=', 'open')
    .executeTakeFirst();
  if (Number(open.numUpdatedRows) !== 1) throw reviewErrors.locked(entry.campaign_id);
  if (entry.decision !== null) throw reviewErrors.alreadyDecided(entryId);

  const facts = parseJson<EntryFacts>(entry.facts, {} as EntryFacts);
  const me =
    actor.type === 'user' || actor.type === 'token'
      ? await db.selectFrom('access_people').select(['id']).where('user_id', '=', actor.userId).executeTakeFirst()
      : undefined;
  // Nobody reviews their own access, not even an admin.
  if (me && facts.personId && me.id === facts.personId) throw reviewErrors.selfReview();
  const assigned = me !== undefined && (entry.reviewer_id === me.id || entry.escalated_to === me.id);
  if (!assigned && !deps.isCampaignManager(actor)) throw reviewErrors.notAssigned();

  const by = actorOf(actor);
  const now = deps.clock.now().toISOString();
  const result: EntryResult = parseJson<EntryResult>(entry.result, {});
  const reason = body.reason?.trim() ? body.reason.trim() : null;
  const why = `access review: ${reason ?? body.decision}`;

  if (body.decision === 'escalate') {
    const from = entry.escalated_to ?? entry.reviewer_id;
    const fromPerson = from
      ? await db.selectFrom('access_people').select(['manager_id']).where('id', '=', from).executeTakeFirst()
      : undefined;
    const to = fromPerson?.manager_id ?? null;
    if (!to || to === facts.personId || to === from) throw reviewErrors.noManager();
    const hop: Reassignment = { from, to, by: by.ref, at: now, reason };
    const next: EntryResult = { ...result, reassignments: [...(result.reassignments ?? []), hop] };
    await db
      .updateTable('access_campaign_entries')
      .set({ reviewer_id: to, escalated_to: null, result: JSON.stringify(next), updated_at: now })
      .where('id', '=', entry.id)
      .execute();
    audit.change({
      type: 'access_review_entry',
      id: entry.id,
      before: { reviewerId: entry.reviewer_id, escalatedTo: entry.escalated_to },
      after: { reviewerId: to, escalatedTo: null, escalation: hop },
    });
    audit.target(`access_review_entry:${entry.id}`);
    return reload(db, entry.id);
  }

  if (body.decision === 'defer' && !reason) throw reviewErrors.reasonRequired('defer');
  // Claim the entry first: of two decisions at once, the second finds it decided (and its effects never run).
  const claimed = await db
    .updateTable('access_campaign_entries')
    .set({ decision: body.decision, updated_at: now })
    .where('id', '=', entry.id)
    .where('decision', 'is', null)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) throw reviewErrors.alreadyDecided(entryId);
  const change: EntryResult = {};
  if (body.decision === 'revoke') {
    if (facts.kind === 'grant' && facts.grantId) {
      const g = await db.selectFrom('access_grants').select(['state']).where('id', '=', facts.grantId).executeTakeFirst();
      if (g?.state === 'active') {
        change.grantEnded = {
          grantId: facts.grantId,
          state: (await deps.effects.endGrant(db, facts.grantId, by, why, audit)).state,
        };
      } else change.alreadyEnded = true;
    } else if (facts.kind === 'site-grant' && facts.grantId) {
      if (!deps.effects.endSiteGrant) throw reviewErrors.notApplicable('site grants cannot be ended from a review yet');
      const g = await db.selectFrom('access_site_grants').select(['state']).where('id', '=', facts.grantId).executeTakeFirst();
      if (g?.state === 'active') {
        const r = await deps.effects.endSiteGrant(db, facts.grantId, by, why, audit);
        change.siteGrantEnded = { siteGrantId: facts.grantId, state: r.state };
      } else change.alreadyEnded = true;
    }
    // The account on the system must go too: a task that closes when an import shows it gone.
    if (facts.kind !== 'site-grant' && facts.account && deps.effects.openRemovalTask) {
      const t = await deps.effects.openRemovalTask(
        db,
        {
          systemId: facts.targetId,
          account: facts.account,
          personId: facts.personId,
          grantId: facts.grantId,
          reviewEntryId: entry.id,
          reason: why,
          by: by.ref,
        },
        audit,
      );
      change.removalTaskId = t.taskId;
    }
    if (!change.grantEnded && !change.siteGrantEnded && !change.removalTaskId)
      change.note = change.alreadyEnded ? 'the grant had ended already' : 'nothing to end';
  } else if (body.decision === 'reduce') {
    if (facts.kind !== 'grant' || !facts.grantId)
      throw reviewErrors.notApplicable('only a logical grant can be reduced to a lower level');
    const sys = await db
      .selectFrom('access_systems')
      .select(['levels', 'name'])
      .where('id', '=', facts.targetId)
      .executeTakeFirst();
    const levels = parseJson<AccessLevel[]>(sys?.levels ?? '[]', []);
    const to = levels.find((l) => l.name === body.reduceTo);
    if (!to) throw reviewErrors.badReduce(`${sys?.name ?? 'the system'} has no level ${body.reduceTo}`);
    if (to.privileged) throw reviewErrors.badReduce(`${to.name} is privileged: reduce to a non-privileged level`);
    if (to.name === facts.level) throw reviewErrors.badReduce(`the grant is at ${to.name} already`);
    const g = await db.selectFrom('access_grants').select(['state']).where('id', '=', facts.grantId).executeTakeFirst();
    if (!g || g.state !== 'active') throw reviewErrors.notApplicable('the grant is no longer active: nothing to reduce');
    const r = await deps.effects.reduceGrant(db, facts.grantId, to.name, by, why, audit);
    change.grantEnded = { grantId: facts.grantId, state: 'revoked' };
    change.newGrantId = r.newGrantId;
  }
  const next: EntryResult = { ...result, ...change };
  await db
    .updateTable('access_campaign_entries')
    .set({
      decision: body.decision,
      reason,
      reduce_to: body.decision === 'reduce' ? (body.reduceTo ?? null) : null,
      decided_by: by.ref,
      decided_by_name: by.name,
      decided_at: now,
      result: JSON.stringify(next),
      updated_at: now,
    })
    .where('id', '=', entry.id)
    .execute();
  audit.change({
    type: 'access_review_entry',
    id: entry.id,
    before: { decision: null },
    after: { decision: body.decision, reason, reduceTo: body.reduceTo ?? null, result: { ...change } },
  });
  // The effects above named their own targets; the request is about the entry.
  audit.target(`access_review_entry:${entry.id}`);
  return reload(db, entry.id);
}

async function reload(db: Db, id: string): Promise<EntryView> {
  const r: AccessCampaignEntriesTable = await db
    .selectFrom('access_campaign_entries')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return entryView(r, await personNames(db));
}

/**
 * Close a campaign (issue 6 item 7): only when every entry is decided, or by a campaign manager with a reason, which
 * leaves the undecided ones marked. A closed campaign is locked.
 */
export async function closeCampaign(
  clock: Clock,
  db: Db,
  campaignId: string,
  reason: string | undefined,
  by: string,
  audit: AuditRecorder,
): Promise<{ undecided: number }> {
  const c = await db.selectFrom('access_campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  if (!c) throw reviewErrors.campaignNotFound(campaignId);
  if (c.state !== 'open') throw reviewErrors.locked(campaignId);
  // Lock the campaign row first (PostgreSQL): decisions in flight finish before the count, later ones find it closed.
  const held = await db
    .updateTable('access_campaigns')
    .set({ state: 'open' })
    .where('id', '=', campaignId)
    .where('state', '=', 'open')
    .executeTakeFirst();
  if (Number(held.numUpdatedRows) !== 1) throw reviewErrors.locked(campaignId);
  const undecided = Number(
    (
      await db
        .selectFrom('access_campaign_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('campaign_id', '=', campaignId)
        .where('decision', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (undecided > 0 && !reason) throw reviewErrors.undecided(undecided);
  const now = clock.now().toISOString();
  if (undecided > 0)
    await db
      .updateTable('access_campaign_entries')
      .set({ undecided_at_close: 1, updated_at: now })
      .where('campaign_id', '=', campaignId)
      .where('decision', 'is', null)
      .execute();
  await db
    .updateTable('access_campaigns')
    .set({ state: 'closed', closed_at: now, locked_by: by, close_reason: reason ?? null })
    .where('id', '=', campaignId)
    .execute();
  audit.target(`access_campaign:${campaignId}`);
  audit.change({
    type: 'access_campaign',
    id: campaignId,
    before: { state: 'open' },
    after: { state: 'closed', closedAt: now, lockedBy: by, reason: reason ?? null, undecided },
  });
  return { undecided };
}
