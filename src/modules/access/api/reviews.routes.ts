import type { Actor } from '../../../core/auth.ts';
import type { Clock } from '../../../core/clock.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { closeCampaign, decideEntry, type ReviewEffects } from '../reviews.decisions.ts';
import { evidence, evidencePdf } from '../reviews.export.ts';
import { withDelivery } from '../reviews.mail.ts';
import type { CampaignView, EntryView, ReviewPolicyView, ReviewsService } from '../reviews.service.ts';
import {
  campaignsQuery,
  closeCampaignBody,
  decisionBody,
  entriesQuery,
  reviewIdParams,
  reviewNoQuery,
  reviewPolicyBody,
  startCampaignBody,
} from './reviews.schemas.ts';

export interface ReviewRoutesDeps {
  reviews: ReviewsService;
  effects: ReviewEffects;
  clock: Clock;
  isCampaignManager: (actor: Actor) => boolean;
}

const who = (a: Actor): string => (a.type === 'anonymous' ? 'anonymous' : a.id);

/**
 * Review policies, campaigns, decisions and evidence (issue 6 items 6–7). Decide comes before close so that the
 * permission walk decides an entry of an open campaign before closing it.
 */
export function reviewsRoutes(d: ReviewRoutesDeps): AnyRoute[] {
  const { reviews } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/review-policies',
      permission: 'access.read',
      query: reviewNoQuery,
      summary: 'Review policies: scope, interval, due days, reviewer rule, next run',
      async handler(ctx): Promise<{ items: ReviewPolicyView[] }> {
        return { items: await reviews.listPolicies(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/review-policies',
      permission: 'access.campaigns',
      action: 'access.review-policy.create',
      body: reviewPolicyBody,
      summary: 'Create a review policy (e.g. quarterly for privileged access, half-yearly for all)',
      async handler(ctx): Promise<ReviewPolicyView> {
        const p = await reviews.createPolicy(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return p;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/access/review-policies/:id',
      permission: 'access.campaigns',
      action: 'access.review-policy.update',
      params: reviewIdParams,
      body: reviewPolicyBody,
      summary: 'Change a review policy (running campaigns keep the scope they froze)',
      async handler(ctx): Promise<ReviewPolicyView> {
        return reviews.updatePolicy(ctx.db, ctx.params.id, ctx.body, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/review-policies/:id/start',
      permission: 'access.campaigns',
      action: 'access.campaign.start',
      params: reviewIdParams,
      body: startCampaignBody,
      summary: 'Start a campaign of the policy now: its scope is frozen into entries assigned to reviewers',
      async handler(ctx): Promise<CampaignView> {
        const r = await reviews.start(ctx.db, ctx.params.id, ctx.body ?? {}, who(ctx.actor), ctx.audit);
        ctx.status(201);
        return r.campaign;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/campaigns',
      permission: 'access.read',
      query: campaignsQuery,
      summary: 'Review campaigns with progress (decided/total, overdue), due date and reviewers',
      async handler(ctx): Promise<{ items: CampaignView[] }> {
        return { items: await reviews.list(ctx.db, ctx.query) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/campaigns/:id',
      permission: 'access.read',
      params: reviewIdParams,
      query: reviewNoQuery,
      summary: 'One review campaign with its progress',
      async handler(ctx): Promise<CampaignView> {
        return reviews.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/campaigns/:id/entries',
      permission: 'access.read',
      params: reviewIdParams,
      query: entriesQuery,
      summary: "A campaign's entries (frozen facts, flags, reviewer, decision, result), filtered",
      async handler(ctx): Promise<{ items: EntryView[] }> {
        return { items: await reviews.entries(ctx.db, ctx.params.id, ctx.query) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/campaigns/:id/reminders',
      permission: 'access.read',
      params: reviewIdParams,
      query: reviewNoQuery,
      summary: "A campaign's reminders and escalations (to whom, when, how many entries) and where each e-mail stands",
      async handler(ctx) {
        return { items: await withDelivery(ctx.db, await reviews.reminders(ctx.db, ctx.params.id)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/reviews/mine',
      permission: 'access.review',
      query: reviewNoQuery,
      summary: "The signed-in reviewer's work list: undecided entries assigned or escalated to them, and reminders",
      async handler(ctx) {
        const a = ctx.actor;
        const mine = await reviews.mine(ctx.db, a.type === 'user' || a.type === 'token' ? a.userId : '');
        return { ...mine, reminders: await withDelivery(ctx.db, mine.reminders) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/review-entries/:id/decision',
      permission: 'access.review',
      action: 'access.review.decide',
      params: reviewIdParams,
      body: decisionBody,
      summary: 'Decide an entry: keep, revoke (ends the grant, opens a removal task), reduce, defer or escalate',
      async handler(ctx): Promise<EntryView> {
        ctx.audit.action(`access.review.${ctx.body.decision}`);
        return decideEntry(
          { clock: d.clock, effects: d.effects, isCampaignManager: d.isCampaignManager },
          ctx.db,
          ctx.params.id,
          ctx.body,
          ctx.actor,
          ctx.audit,
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/campaigns/:id/close',
      permission: 'access.campaigns',
      action: 'access.campaign.close',
      params: reviewIdParams,
      body: closeCampaignBody,
      summary: 'Close and lock a campaign (every entry decided, or a reason that leaves undecided ones marked)',
      async handler(ctx): Promise<CampaignView> {
        await closeCampaign(d.clock, ctx.db, ctx.params.id, ctx.body?.reason, who(ctx.actor), ctx.audit);
        return reviews.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/campaigns/:id/export.csv',
      permission: 'access.export',
      action: 'access.campaign.export',
      params: reviewIdParams,
      query: reviewNoQuery,
      summary: "A closed campaign's evidence as CSV: one row per entry (X-Content-SHA256 carries its digest)",
      async handler(ctx) {
        const ev = await evidence(reviews, ctx.db, ctx.params.id);
        ctx.audit.target(`access_campaign:${ctx.params.id}`);
        ctx.audit.detail({ format: 'csv', sha256: ev.sha256 });
        return ctx.reply
          .header('Cache-Control', 'no-store')
          .header('X-Content-SHA256', ev.sha256)
          .header('Content-Disposition', `attachment; filename="access-review-${ctx.params.id}.csv"`)
          .type('text/csv; charset=utf-8')
          .send(ev.csv);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/campaigns/:id/export.pdf',
      permission: 'access.export',
      action: 'access.campaign.export',
      params: reviewIdParams,
      query: reviewNoQuery,
      summary: "A closed campaign's evidence as PDF: scope, dates, reviewers, counts, the CSV's sha256, every decision",
      async handler(ctx) {
        const ev = await evidence(reviews, ctx.db, ctx.params.id);
        const pdf = await evidencePdf(ev, d.clock.now());
        ctx.audit.target(`access_campaign:${ctx.params.id}`);
        ctx.audit.detail({ format: 'pdf', csvSha256: ev.sha256 });
        return ctx.reply
          .header('Cache-Control', 'no-store')
          .header('Content-Disposition', `attachment; filename="access-review-${ctx.params.id}.pdf"`)
          .type('application/pdf')
          .send(pdf);
      },
    }),
  ];
}
