/**
 * The access module's shared vocabulary (issue 6; P1, P3–P7, P11): who (people), what (systems and sites), which
 * rights (grants), what actually exists (imported accounts, badge and login events) and the periodic check that the
 * two agree (review campaigns). Every part of the module and its console uses these names.
 */

/** A person is an employee or a contractor; they may or may not be a Skjold user. */
export const PERSON_KINDS = ['employee', 'contractor'] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];

/** `left` people keep their history; any access they still have is a leaver finding. */
export const PERSON_STATUSES = ['active', 'left'] as const;
export type PersonStatus = (typeof PERSON_STATUSES)[number];

export const SYSTEM_KINDS = ['server', 'control-panel', 'database', 'network', 'saas', 'other'] as const;
export type SystemKind = (typeof SYSTEM_KINDS)[number];

/** P11: management and customer environments are the ones whose every access must be logged. */
export const SYSTEM_CLASSIFICATIONS = ['management', 'customer', 'other'] as const;
export type SystemClassification = (typeof SYSTEM_CLASSIFICATIONS)[number];

/** One access level a system offers (`read`, `operator`, `root` …); privileged ones need the privileged list. */
export interface AccessLevel {
  name: string;
  privileged: boolean;
  description?: string | undefined;
}

/**
 * A grant's life: `pending` (waiting for its approver, or for the second approver of a privileged grant),
 * `active`, then `expired` (its end passed), `revoked` (ended by a person or a review) or `rejected` (never active).
 */
export const GRANT_STATES = ['pending', 'active', 'expired', 'revoked', 'rejected'] as const;
export type GrantState = (typeof GRANT_STATES)[number];
