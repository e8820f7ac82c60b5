import type { Permission, PermissionSpec } from '../../core/auth.ts';

/**
 * What the identity module lets roles do. Admins manage users and every token; the security officer (and, through
 * the auditor rule, the auditor) may read them for access reviews. Every role may create its own API tokens; a
 * token's scopes are always limited to its owner's role.
 */
export const identityPermissions: Record<Permission, PermissionSpec> = {
  'users.read': { roles: ['admin', 'security-officer'], description: 'List users and read their details' },
  'users.create': { roles: ['admin'], description: 'Create users' },
  'users.update': { roles: ['admin'], description: 'Change a user’s display name, role or disabled flag, and reset their MFA' },
  'tokens.read': { roles: ['admin', 'security-officer'], description: 'List the API tokens of every user' },
  'tokens.create': {
    roles: ['admin', 'security-officer', 'operator', 'auditor', 'viewer'],
    description: 'Create API tokens for oneself (scopes limited to one’s own role)',
  },
  'tokens.revoke': { roles: ['admin'], description: 'Revoke any user’s API token' },
};
