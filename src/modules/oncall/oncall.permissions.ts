import type { Permission, PermissionSpec } from '../../core/auth.ts';

const RESPONDERS = ['admin', 'security-officer', 'operator'] as const;

/**
 * Who may see and change on-call schedules. Everyone who can see incidents may see who answers them (viewers too;
 * the auditor reads through the auditor rule); the people who work incidents plan the rota.
 */
export const oncallPermissions: Record<Permission, PermissionSpec> = {
  'oncall.read': { roles: [...RESPONDERS, 'viewer'], description: 'See schedules, shifts, who is on call and coverage gaps' },
  'oncall.write': {
    roles: RESPONDERS,
    description:
      'Create, change and delete schedules, overrides, escalation policies and contact details; issue calendar feed keys',
  },
  'oncall.channels.write': {
    roles: ['admin', 'security-officer'],
    description: 'Create, change and delete notification channels (they hold SMTP passwords, webhook secrets and gateway keys)',
  },
};
