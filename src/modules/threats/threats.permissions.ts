import type { Permission, PermissionSpec } from '../../core/auth.ts';

/**
 * Who may see attacks and who may change what firewalls enforce. Operators watch and ban by hand at 3 a.m.; the
 * allowlist, feeds and bouncer keys decide what the whole network blocks, so they stay with admins and the security
 * officer. Auditors read through the auditor rule.
 */
export const threatsPermissions: Record<Permission, PermissionSpec> = {
  'threats.read': {
    roles: ['admin', 'security-officer', 'operator', 'viewer'],
    description: 'See alerts, decisions, feeds, the allowlist, ingestion figures and blocklists',
  },
  'threats.ban': {
    roles: ['admin', 'security-officer', 'operator'],
    description: 'Ban and unban addresses by hand',
  },
  'threats.ingest': {
    roles: ['admin', 'security-officer'],
    description: 'Post log lines to the bulk ingestion endpoint (normally a token scoped to this alone)',
  },
  'threats.write': {
    roles: ['admin', 'security-officer'],
    description: 'Change the allowlist, threat-intel feeds and bouncer keys',
  },
};
