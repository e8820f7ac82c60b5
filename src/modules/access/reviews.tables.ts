/** The review tables as Kysely sees them (see migrations/0004-reviews.ts for what each column means). */

export interface AccessReviewPoliciesTable {
  id: string;
  name: string;
  scope: string;
  privileged_only: number;
  /** JSON string[]. */
  system_ids: string;
  /** JSON string[]. */
  site_ids: string;
  interval_months: number;
  due_days: number;
  remind_days: number;
  reviewer_rule: string;
  inactive_days: number;
  enabled: number;
  next_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccessCampaignsTable {
  id: string;
  policy_id: string;
  name: string;
  /** JSON CampaignScope. */
  scope: string;
  state: string;
  started_at: string;
  started_by: string;
  due_at: string;
  closed_at: string | null;
  locked_by: string | null;
  close_reason: string | null;
  previous_id: string | null;
  overdue_signalled: number;
}

export interface AccessCampaignEntriesTable {
  id: string;
  campaign_id: string;
  seq: number;
  subject_key: string;
  /** JSON EntryFacts. */
  facts: string;
  /** JSON ReviewFlag[]. */
  flags: string;
  reviewer_id: string | null;
  escalated_to: string | null;
  decision: string | null;
  reason: string | null;
  reduce_to: string | null;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: string | null;
  overdue: number;
  undecided_at_close: number;
  /** JSON EntryResult. */
  result: string;
  updated_at: string;
}

export interface AccessReviewRemindersTable {
  id: string;
  campaign_id: string;
  kind: string;
  to_person_id: string;
  about_person_id: string;
  entries: number;
  sent_at: string;
}

/** The reminder e-mail outbox (migrations/0005-review-mail.ts). */
export interface AccessReviewMailTable {
  id: string;
  reminder_id: string;
  campaign_id: string;
  to_person_id: string;
  to_address: string | null;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  state: string;
  attempts: number;
  next_attempt_at: string | null;
  lease_until: string | null;
  last_error: string | null;
  receipt: string | null;
  created_at: string;
  last_attempt_at: string | null;
  sent_at: string | null;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    access_review_policies: AccessReviewPoliciesTable;
    access_campaigns: AccessCampaignsTable;
    access_campaign_entries: AccessCampaignEntriesTable;
    access_review_reminders: AccessReviewRemindersTable;
    access_review_mail: AccessReviewMailTable;
  }
}
