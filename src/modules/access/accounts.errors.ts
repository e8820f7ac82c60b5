import { AppError, conflict, invalid, notFound } from '../../core/errors.ts';

/** Errors of the accounts area (imported accounts, login events, LDAP sources, removal tasks). */
export const systemNotFound = (id: string): AppError => notFound('access_system_not_found', `no system ${id}`);
export const taskNotFound = (id: string): AppError => notFound('access_task_not_found', `no task ${id}`);
export const taskClosed = (id: string): AppError => conflict('access_task_closed', `task ${id} is already closed`);
export const ldapSourceNotFound = (systemId: string): AppError =>
  notFound('access_ldap_source_not_found', `system ${systemId} has no LDAP source`);
export const ldapPasswordRequired = (): AppError =>
  invalid('access_ldap_password_required', 'a new LDAP source needs its bind password', [
    { path: 'body.bindPassword', message: 'required for a new source' },
  ]);
export const importTooLarge = (max: number): AppError =>
  new AppError('too_large', 'access_import_too_large', `the import is larger than the limit of ${max} bytes`);
export const importUnreadable = (reason: string): AppError => invalid('access_import_unreadable', reason);
/** The directory did not answer, refused the bind or the search: nothing was changed. */
export const ldapFailed = (reason: string): AppError => new AppError('unavailable', 'access_ldap_failed', reason);
export const secretsUnavailable = (): AppError =>
  new AppError('unavailable', 'access_secrets_unavailable', 'this process has no secrets key: LDAP sources cannot be used');
export const removalTargetMissing = (): AppError =>
  invalid('access_removal_target_missing', 'a removal task needs the account or the person whose access ends');
