import { type AppError, conflict, forbidden, invalid, notFound } from '../../core/errors.ts';

/** Errors of review policies and campaigns, each with a stable code (see src/core/errors.ts). */
export const reviewErrors = {
  policyNotFound: (id: string): AppError => notFound('review_policy_not_found', `no review policy ${id}`),
  policyExists: (name: string): AppError => conflict('review_policy_exists', `a review policy named ${name} exists already`),
  targetNotFound: (what: 'system' | 'site', id: string): AppError =>
    invalid(`review_${what}_not_found`, `no ${what} ${id}`, [{ path: `body.${what}Ids`, message: `no ${what} ${id}` }]),
  campaignNotFound: (id: string): AppError => notFound('campaign_not_found', `no review campaign ${id}`),
  entryNotFound: (id: string): AppError => notFound('review_entry_not_found', `no review entry ${id}`),
  locked: (id: string): AppError =>
    conflict('campaign_locked', `review campaign ${id} is closed and locked: its entries and decisions cannot change`),
  notClosed: (id: string): AppError =>
    conflict('campaign_not_closed', `review campaign ${id} is still open: evidence is exported once it is closed`),
  undecided: (n: number): AppError =>
    conflict('campaign_undecided', `${n} entries are undecided: decide them, or close with a reason to leave them marked`),
  alreadyDecided: (id: string): AppError =>
    conflict('review_entry_decided', `review entry ${id} is decided already (decisions are final)`),
  notAssigned: (): AppError =>
    forbidden('review_not_assigned', 'this entry is assigned to another reviewer (only they, or a campaign manager, decide it)'),
  selfReview: (): AppError =>
    forbidden('review_self_refused', 'nobody reviews their own access: another reviewer must decide this entry'),
  reasonRequired: (decision: string): AppError =>
    invalid('review_reason_required', `a ${decision} needs a reason`, [{ path: 'body.reason', message: 'required' }]),
  badReduce: (message: string): AppError => invalid('review_reduce_invalid', message, [{ path: 'body.reduceTo', message }]),
  notApplicable: (message: string): AppError => conflict('review_decision_not_applicable', message),
  noManager: (): AppError =>
    conflict('review_no_manager', 'the reviewer has no manager (other than the person reviewed) to escalate to'),
};
