import { api, query } from '../../app/api.ts';

/**
 * Shapes of the access-review API (mirrors src/modules/access/reviews.service.ts and reviews.model.ts; the console does
 * not import server code).
 */
export const REVIEW_FLAGS = ['orphaned', 'inactive', 'no-use-data', 'excessive', 'leaver', 'new', 'changed', 'no-grant'] as const;
export type ReviewFlag = (typeof REVIEW_FLAGS)[number];
export const FINAL_DECISIONS = ['keep', 'revoke', 'reduce', 'defer'] as const;
export type Decision = (typeof FINAL_DECISIONS)[number] | 'escalate';

export interface ReviewPolicy {
  id: string;
  name: string;
  scope: 'logical' | 'physical';
  privilegedOnly: boolean;
  systemIds: string[];
  siteIds: string[];
  intervalMonths: number;
  dueDays: number;
  remindDays: number;
  reviewerRule: 'system-owner' | 'manager';
  inactiveDays: number;
  enabled: boolean;
  nextRunAt: string | null;
}

export interface Campaign {
  id: string;
  policyId: string;
  name: string;
  scope: { policyName: string; scope: 'logical' | 'physical'; privilegedOnly: boolean; targets: { id: string; name: string }[] };
  state: 'open' | 'closed';
  startedAt: string;
  dueAt: string;
  closedAt: string | null;
  lockedBy: string | null;
  closeReason: string | null;
  total: number;
  decided: number;
  overdue: number;
  reviewers: { id: string; name: string; total: number; decided: number }[];
}

export interface Entry {
  id: string;
  campaignId: string;
  seq: number;
  facts: {
    kind: 'grant' | 'account' | 'site-grant';
    personId: string | null;
    personName: string | null;
    targetId: string;
    targetName: string;
    level: string | null;
    privileged: boolean;
    account: string | null;
    lastUsedAt: string | null;
    justification: string | null;
  };
  flags: ReviewFlag[];
  reviewerId: string | null;
  reviewerName: string | null;
  escalatedToName: string | null;
  decision: Decision | null;
  reason: string | null;
  reduceTo: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  overdue: boolean;
  undecidedAtClose: boolean;
  /** What the decision changed. */
  result: {
    grantEnded?: { grantId: string; state: string };
    newGrantId?: string;
    siteGrantEnded?: { siteGrantId: string; state: string };
    removalTaskId?: string;
    alreadyEnded?: boolean;
  };
}

/** Where a reminder's e-mail stands (mirrors MAIL_STATES and MailDeliveryView in src/modules/access/reviews.mail.ts). */
export type MailState = 'pending' | 'sending' | 'sent' | 'failed' | 'not_sent' | 'undeliverable';
export interface MailDelivery {
  state: MailState;
  /** The address it was (or would have been) sent to. */
  to: string | null;
  attempts: number;
  sentAt: string | null;
  lastAttemptAt: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  /** Why it is not sent (yet): the server's reply, or why it was never tried. */
  error: string | null;
}

/** A reminder or escalation of a campaign, with its e-mail (`delivery: null` only for one without an outbox row). */
export interface Reminder {
  id: string;
  /** 'reminder' or 'escalation'. */
  kind: string;
  toPersonId: string;
  toName: string | null;
  aboutPersonId: string;
  entries: number;
  sentAt: string;
  delivery: MailDelivery | null;
}

export interface MyReviews {
  person: { id: string; name: string } | null;
  entries: (Entry & { campaignName: string; dueAt: string })[];
  reminders: {
    id: string;
    campaignId: string;
    campaignName: string;
    kind: string;
    entries: number;
    sentAt: string;
    delivery: MailDelivery | null;
  }[];
}

export interface PolicyInput {
  name: string;
  scope: 'logical' | 'physical';
  privilegedOnly: boolean;
  intervalMonths: number;
  dueDays: number;
  reviewerRule: 'system-owner' | 'manager';
  inactiveDays: number;
}

const base = '/api/v1/access';

export const reviewsApi = {
  policies: () => api.get<{ items: ReviewPolicy[] }>(`${base}/review-policies`).then((r) => r.items),
  createPolicy: (p: PolicyInput) => api.post<ReviewPolicy>(`${base}/review-policies`, p),
  start: (policyId: string) => api.post<Campaign>(`${base}/review-policies/${encodeURIComponent(policyId)}/start`, {}),
  campaigns: () => api.get<{ items: Campaign[] }>(`${base}/campaigns`).then((r) => r.items),
  campaign: (id: string) => api.get<Campaign>(`${base}/campaigns/${encodeURIComponent(id)}`),
  entries: (id: string, f: { flag?: string | undefined; decision?: string | undefined; q?: string | undefined }) =>
    api.get<{ items: Entry[] }>(`${base}/campaigns/${encodeURIComponent(id)}/entries${query(f)}`).then((r) => r.items),
  reminders: (id: string) =>
    api.get<{ items: Reminder[] }>(`${base}/campaigns/${encodeURIComponent(id)}/reminders`).then((r) => r.items),
  mine: () => api.get<MyReviews>(`${base}/reviews/mine`),
  decide: (entryId: string, body: { decision: Decision; reason?: string | undefined; reduceTo?: string | undefined }) =>
    api.post<Entry>(`${base}/review-entries/${encodeURIComponent(entryId)}/decision`, body),
  close: (id: string, reason?: string) =>
    api.post<Campaign>(`${base}/campaigns/${encodeURIComponent(id)}/close`, reason ? { reason } : {}),
  exportUrl: (id: string, format: 'csv' | 'pdf') => `${base}/campaigns/${encodeURIComponent(id)}/export.${format}`,
};
