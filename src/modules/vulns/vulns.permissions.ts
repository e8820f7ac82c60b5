import type { Permission, PermissionSpec } from '../../core/auth.ts';

/**
 * Who sees the fleet's vulnerabilities and who decides about them. Hosts report with a token scoped to
 * `vulns.report` alone. Operators triage (exploitable, not affected …); accepting a risk, changing assets' exposure
 * and the advisory feeds stay with admins and the security officer, because they move SLA deadlines.
 */
export const vulnsPermissions: Record<Permission, PermissionSpec> = {
  'vulns.read': {
    roles: ['admin', 'security-officer', 'operator', 'viewer'],
    description: 'See assets, inventories, findings, SLA figures and advisory feeds',
  },
  'vulns.report': {
    roles: ['admin', 'security-officer'],
    description: 'Upload a host inventory or an SBOM (a token scoped to this alone for agents; people upload SBOMs)',
  },
  'vulns.triage': {
    roles: ['admin', 'security-officer', 'operator'],
    description: 'Triage findings (exploitable, not affected, false positive, resolved)',
  },
  'vulns.accept': {
    roles: ['admin', 'security-officer'],
    description: 'Accept a risk until a date (approver of a risk acceptance)',
  },
  'vulns.write': {
    roles: ['admin', 'security-officer'],
    description: 'Change assets (owner, exposure, criticality, provider- or customer-managed) and advisory feeds',
  },
};
