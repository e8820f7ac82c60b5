import { z } from 'zod';
import { REVIEW_FLAGS, REVIEWER_RULES, REVIEW_SCOPES } from '../reviews.model.ts';

const text = (max: number) => z.string().trim().max(max);
/** Ids of people, systems, sites, grants: what the API gave out. */
const ref = z.string().trim().min(1).max(100);

export const reviewIdParams = z.strictObject({ id: ref });
export const reviewNoQuery = z.strictObject({});

/** A review policy: what is reviewed, how often, by whom (issue 6 item 6, P7). */
export const reviewPolicyBody = z.strictObject({
  name: text(200).min(1),
  /** logical: grants and accounts on systems; physical: site access grants. */
  scope: z.enum(REVIEW_SCOPES).default('logical'),
  /** Only privileged grants (the separate review of privileged accounts, NIS2 2024/2690 11.3.3). */
  privilegedOnly: z.boolean().default(false),
  /** Systems in scope (logical); empty: all. */
  systemIds: z.array(ref).max(1000).default([]),
  /** Sites in scope (physical); empty: all. */
  siteIds: z.array(ref).max(1000).default([]),
  /** Months between campaigns: 3 quarterly, 6 half-yearly, 12 yearly. */
  intervalMonths: z.number().int().min(1).max(36).default(6),
  /** Days reviewers have after the start; undecided entries are overdue after that. */
  dueDays: z.number().int().min(1).max(365).default(30),
  /** Days before the due date when reviewers with undecided entries are reminded (0: no reminder). */
  remindDays: z.number().int().min(0).max(365).default(7),
  /** system-owner: each system's owner reviews it; manager: each person's manager. */
  reviewerRule: z.enum(REVIEWER_RULES).default('system-owner'),
  /** An account unused for this many days is flagged inactive. */
  inactiveDays: z.number().int().min(1).max(3650).default(90),
  /** Whether the schedule starts campaigns (a disabled policy can still be started by hand). */
  enabled: z.boolean().default(true),
  /** When the schedule starts the next campaign; default: one interval from now. */
  nextRunAt: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type ReviewPolicyBody = z.infer<typeof reviewPolicyBody>;

/** Start a campaign of a policy now. */
export const startCampaignBody = z.strictObject({
  /** Defaults to the policy's name and the date. */
  name: text(200).min(1).optional(),
});
export type StartCampaignBody = z.infer<typeof startCampaignBody>;

export const campaignsQuery = z.strictObject({
  state: z.enum(['open', 'closed']).optional(),
  policyId: ref.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type CampaignsQuery = z.infer<typeof campaignsQuery>;

export const entriesQuery = z.strictObject({
  /** Only entries carrying this flag. */
  flag: z.enum(REVIEW_FLAGS).optional(),
  /** A decision, or `undecided`. */
  decision: z.enum(['keep', 'revoke', 'reduce', 'defer', 'undecided']).optional(),
  reviewerId: ref.optional(),
  overdue: z.enum(['true', 'false']).optional(),
  /** Substring of the person, system/site, level or account. */
  q: text(100).optional(),
});
export type EntriesQuery = z.infer<typeof entriesQuery>;

/** A reviewer's decision on one entry. */
export const decisionBody = z
  .strictObject({
    decision: z.enum(['keep', 'revoke', 'reduce', 'defer', 'escalate']),
    /** Why; required for defer and escalate. */
    reason: text(2000).optional(),
    /** reduce: the lower, non-privileged level of the same system to keep. */
    reduceTo: text(100).min(1).optional(),
  })
  .refine((b) => b.decision !== 'reduce' || b.reduceTo !== undefined, { message: 'reduce needs reduceTo', path: ['reduceTo'] })
  .refine((b) => !['defer', 'escalate'].includes(b.decision) || (b.reason ?? '').length > 0, {
    message: 'defer and escalate need a reason',
    path: ['reason'],
  });
export type DecisionBody = z.infer<typeof decisionBody>;

/** Close (and lock) a campaign; a reason lets a campaign manager close with undecided entries, which stay marked. */
export const closeCampaignBody = z.strictObject({
  reason: text(2000).min(1).optional(),
});
export type CloseCampaignBody = z.infer<typeof closeCampaignBody>;
