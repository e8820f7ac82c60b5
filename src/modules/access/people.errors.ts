import { AppError, conflict, forbidden, invalid, notFound } from '../../core/errors.ts';

/**
 * The errors of people, systems, the privileged list and grants, each with its stable `code`. Field paths (`body.x`)
 * let the console and `skjold apply` point at the offending input.
 */
export const personNotFound = (id: string): AppError => notFound('access_person_not_found', `no person ${id}`);
export const systemNotFound = (id: string): AppError => notFound('access_system_not_found', `no system ${id}`);
export const grantNotFound = (id: string): AppError => notFound('access_grant_not_found', `no grant ${id}`);

export const personEmailTaken = (email: string, path = 'body.email'): AppError =>
  invalidAt('access_person_email_taken', `another person has the e-mail ${email}`, path, 'already in use', 'conflict');
export const personUserTaken = (path = 'body.userId'): AppError =>
  invalidAt('access_person_user_taken', 'another person is linked to this Skjold user', path, 'already linked', 'conflict');
export const identifierTaken = (identifier: string, owner: string, path: string): AppError =>
  invalidAt(
    'access_identifier_taken',
    `the account name ${identifier} belongs to ${owner} already (imports match accounts to one person)`,
    path,
    `used by ${owner}`,
    'conflict',
  );
export const managerInvalid = (message: string, path = 'body.managerId'): AppError =>
  invalid('access_manager_invalid', message, [{ path, message }]);
export const personLeft = (name: string): AppError =>
  conflict('access_person_left', `${name} has left: a leaver gets no new access`);
export const personHasHistory = (name: string, what: string): AppError =>
  conflict('access_person_has_history', `${name} cannot be deleted: ${what} (mark them as left instead)`);
export const personAlreadyLeft = (name: string): AppError => conflict('access_person_already_left', `${name} has left already`);

export const systemNameTaken = (name: string, path = 'body.name'): AppError =>
  invalidAt('access_system_name_taken', `a system named ${name} exists already`, path, 'already in use', 'conflict');
export const systemHasGrants = (name: string): AppError =>
  conflict('access_system_has_grants', `${name} has grants (ended ones are evidence): it cannot be deleted`);
export const levelInUse = (level: string, path = 'body.levels'): AppError =>
  invalidAt('access_level_in_use', `the level ${level} has active or pending grants: end them first`, path, 'in use', 'conflict');
export const ownerNotFound = (path = 'body.ownerId'): AppError =>
  invalid('access_owner_not_found', 'the owner must be a registered person', [{ path, message: 'no such person' }]);

export const alreadyPrivileged = (name: string): AppError =>
  conflict('access_already_privileged', `${name} is on the privileged list already`);
export const notPrivilegedListed = (name: string): AppError =>
  conflict('access_not_on_privileged_list', `${name} is not on the privileged list`);

export const levelUnknown = (level: string, system: string, path = 'body.level'): AppError =>
  invalid('access_level_unknown', `${system} has no access level ${level}`, [{ path, message: `not a level of ${system}` }]);
export const grantNeedsPrivilegedList = (name: string, level: string): AppError =>
  conflict('access_grant_not_privileged_person', `${level} is a privileged level and ${name} is not on the privileged list`);
export const grantExists = (id: string): AppError =>
  conflict('access_grant_exists', `the person already has this level on this system (grant ${id})`);
export const grantState = (state: string, wanted: string): AppError =>
  conflict('access_grant_state', `the grant is ${state}; only a ${wanted} grant can be changed this way`);
/**
 * The one refusal for approving one's own access, logical or physical: `who` is the grantee (the caller), `grant`
 * names the grant, e.g. `grant 0193… (admin on db-1)` or `site grant 0193… (DC Ballerup)`.
 */
export const selfApproval = (who: string, grant: string): AppError =>
  forbidden('access_grant_self_approval', `${who} cannot approve ${grant}: it is their own access, another approver must decide`);
export const sameApprover = (): AppError =>
  forbidden('access_grant_same_approver', 'four eyes: the second approval of a privileged grant must come from a different user');
export const approverNotHuman = (): AppError =>
  forbidden('access_grant_approver_not_user', 'grants are approved by people (a user or their API token)');
export const jitTooLong = (max: number, path = 'body.jitHours'): AppError =>
  invalid('access_jit_too_long', `just-in-time access lasts at most ${max} hours`, [{ path, message: `at most ${max}` }]);
export const grantWindowInvalid = (message: string, path: string): AppError =>
  invalid('access_grant_window_invalid', message, [{ path, message }]);
export const reduceInvalid = (message: string): AppError =>
  invalid('access_grant_reduce_invalid', message, [{ path: 'body.level', message }]);

/** A rule broken by one field: 409 or 400 with the field's path (so apply can name the file line). */
function invalidAt(code: string, message: string, path: string, field: string, kind: 'conflict' | 'invalid'): AppError {
  return new AppError(kind, code, message, { errors: [{ path, message: field }] });
}
