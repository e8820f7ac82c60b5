import type { Permission, PermissionSpec } from '../../core/auth.ts';

const RESPONDERS = ['admin', 'security-officer', 'operator'] as const;

/**
 * Who may do what with incidents. The people who work incidents (operators, admins, the security officer) act on
 * them; viewers read; the auditor reads through the auditor rule (every `.read`). Machines raise signals with a
 * token scoped to `signals.create`.
 */
export const incidentsPermissions: Record<Permission, PermissionSpec> = {
  'incidents.read': {
    roles: [...RESPONDERS, 'viewer'],
    description: 'List incidents, read their timelines and the completeness record',
  },
  'incidents.ack': { roles: RESPONDERS, description: 'Acknowledge an incident' },
  'incidents.resolve': { roles: RESPONDERS, description: 'Resolve an incident by hand' },
  'incidents.note': { roles: RESPONDERS, description: 'Add a note to an incident’s timeline' },
  'incidents.postmortem': { roles: RESPONDERS, description: 'Write the postmortem of a resolved incident' },
  'maintenance.read': { roles: [...RESPONDERS, 'viewer'], description: 'List maintenance windows' },
  'maintenance.write': { roles: RESPONDERS, description: 'Create, change and end maintenance windows' },
  'signals.create': { roles: RESPONDERS, description: 'Raise a signal over the API (backup jobs, scripts, other systems)' },
};
