import type { Permission, PermissionSpec } from '../../core/auth.ts';

/**
 * Who sees and who changes access (issue 6). Reading is broad (auditors get every `.read` and `.export`); changing
 * who may reach what is for admins and the security officer; a grant's approver needs `access.approve`, and the
 * four-eyes rule (a second, different approver for privileged levels) is enforced by the service, not by roles.
 * Machines importing account lists, login and badge events hold a token scoped to `access.import` alone.
 */
export const accessPermissions: Record<Permission, PermissionSpec> = {
  'access.read': {
    roles: ['admin', 'security-officer', 'operator', 'viewer'],
    description: 'See people, systems, grants, sites, badge events and review campaigns',
  },
  'access.write': {
    roles: ['admin', 'security-officer'],
    description: 'Register and change people, systems, sites, doors, cameras and badges; request grants',
  },
  'access.approve': {
    roles: ['admin', 'security-officer'],
    description: 'Approve, reject or revoke grants (a privileged grant needs two different approvers)',
  },
  'access.privileged': {
    roles: ['admin', 'security-officer'],
    description: 'Put people on the privileged list or take them off it',
  },
  'access.import': {
    roles: ['admin', 'security-officer'],
    description: 'Import account lists, login events and badge events (normally a token scoped to this alone)',
  },
  'access.review': {
    roles: ['admin', 'security-officer', 'operator'],
    description: 'Decide entries in review campaigns assigned to you (keep, revoke, reduce, defer, escalate)',
  },
  'access.campaigns': {
    roles: ['admin', 'security-officer'],
    description: 'Schedule, start and close review campaigns',
  },
  'access.export': {
    roles: ['admin', 'security-officer'],
    description: 'Export finished review campaigns as evidence (CSV and PDF)',
  },
};
