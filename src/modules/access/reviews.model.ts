/**
 * The review vocabulary (issue 6 items 6–7, P7): what a campaign covers, what each entry froze, the flags that draw a
 * reviewer's eye and the decisions a reviewer can take.
 */

export const REVIEW_SCOPES = ['logical', 'physical'] as const;
export type ReviewScope = (typeof REVIEW_SCOPES)[number];

/** Who reviews an entry: the system's owner (logical; a site's entries fall back to the manager) or the person's manager. */
export const REVIEWER_RULES = ['system-owner', 'manager'] as const;
export type ReviewerRule = (typeof REVIEWER_RULES)[number];

/**
 * orphaned: an account no person matches; inactive: no use in the policy's N days; no-use-data: no use recorded and the
 * system (or site) has no source of use data at all, so nobody can tell whether it is used (not silently "active");
 * excessive: a privileged level held by someone not on the privileged list; leaver: the person has left; new / changed:
 * against the policy's previous closed campaign; no-grant: an account of a known person without a grant behind it.
 */
export const REVIEW_FLAGS = ['orphaned', 'inactive', 'no-use-data', 'excessive', 'leaver', 'new', 'changed', 'no-grant'] as const;
export type ReviewFlag = (typeof REVIEW_FLAGS)[number];

/** `escalate` is not final: it hands the entry to the reviewer's manager, who then decides. */
export const REVIEW_DECISIONS = ['keep', 'revoke', 'reduce', 'defer', 'escalate'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
export type FinalDecision = Exclude<ReviewDecision, 'escalate'>;

export const CAMPAIGN_STATES = ['open', 'closed'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** What a campaign froze at its start: the policy's settings and the systems or sites it covered. */
export interface CampaignScope {
  policyName: string;
  scope: ReviewScope;
  privilegedOnly: boolean;
  reviewerRule: ReviewerRule;
  inactiveDays: number;
  /** The systems or sites in scope at the start, with their names then. */
  targets: { id: string; name: string }[];
}

/** One entry's facts as they were when the campaign started (never updated afterwards). */
export interface EntryFacts {
  kind: 'grant' | 'account' | 'site-grant';
  personId: string | null;
  personName: string | null;
  personEmail: string | null;
  personStatus: string | null;
  /** The system (logical) or site (physical) the access is to. */
  targetId: string;
  targetName: string;
  level: string | null;
  privileged: boolean;
  onPrivilegedList: boolean;
  grantId: string | null;
  grantStartsAt: string | null;
  grantExpiresAt: string | null;
  justification: string | null;
  /** The imported account this access shows up as, if any. */
  accountId: string | null;
  account: string | null;
  lastUsedAt: string | null;
}

/** One reassignment of an entry (a reviewer's escalate, or the sweep's escalation when it went overdue). */
export interface Reassignment {
  from: string | null;
  to: string;
  by: string;
  at: string;
  reason: string | null;
}

/** What a decision changed, recorded on the entry for the evidence export. */
export interface EntryResult {
  grantEnded?: { grantId: string; state: string } | undefined;
  newGrantId?: string | undefined;
  siteGrantEnded?: { siteGrantId: string; state: string } | undefined;
  removalTaskId?: string | undefined;
  /** A revoke found the grant already ended (between the freeze and the decision). */
  alreadyEnded?: boolean | undefined;
  note?: string | undefined;
  reassignments?: Reassignment[] | undefined;
}
