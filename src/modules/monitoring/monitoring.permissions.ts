import type { Permission, PermissionSpec } from '../../core/auth.ts';

/**
 * Everyone on the operations side reads monitors (auditors through the `.read` rule); operators and admins change
 * them. Heartbeats need no permission: the secret token in the URL is the credential.
 */
export const monitoringPermissions: Record<Permission, PermissionSpec> = {
  'monitors.read': {
    roles: ['admin', 'security-officer', 'operator', 'viewer'],
    description: 'List monitors, their results, uptime and completeness',
  },
  'monitors.write': { roles: ['admin', 'operator'], description: 'Create, change, pause, resume and delete monitors' },
};
