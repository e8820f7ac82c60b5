import type { Permission, PermissionSpec } from '../../core/auth.ts';

/**
 * Everyone on the operations side reads monitors (auditors through the `.read` rule); operators and admins change
 * them. Heartbeats need no permission: the secret token in the URL is the credential; nor do probe calls, which
 * present the probe's own token.
 */
export const monitoringPermissions: Record<Permission, PermissionSpec> = {
  'monitors.read': {
    roles: ['admin', 'security-officer', 'operator', 'viewer'],
    description: 'List monitors, their results, uptime and completeness',
  },
  'monitors.write': { roles: ['admin', 'operator'], description: 'Create, change, pause, resume and delete monitors' },
  'probes.read': {
    roles: ['admin', 'security-officer', 'operator', 'viewer'],
    description: 'List remote probes, their locations and when they last reported',
  },
  // A probe token lets its holder see monitor definitions (with their request headers): admins only.
  'probes.write': { roles: ['admin'], description: 'Register, delete and rotate the tokens of remote probes' },
};
