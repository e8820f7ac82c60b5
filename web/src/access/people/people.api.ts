import { api, query } from '../../app/api.ts';
import type { GrantWithActions } from '../../../../src/modules/access/api/people.routes.ts';
import type { GrantEvent } from '../../../../src/modules/access/grants.service.ts';
import type { PersonView } from '../../../../src/modules/access/people.service.ts';
import type { PrivilegedEntry } from '../../../../src/modules/access/privileged.service.ts';
import type { SystemView } from '../../../../src/modules/access/systems.service.ts';

export type { GrantEvent, GrantWithActions as Grant, PersonView as Person, PrivilegedEntry, SystemView as System };

export const PERSON_KINDS = ['employee', 'contractor'] as const;
export const SYSTEM_KINDS = ['server', 'control-panel', 'database', 'network', 'saas', 'other'] as const;
export const CLASSIFICATIONS = ['management', 'customer', 'other'] as const;
export const GRANT_STATES = ['pending', 'active', 'expired', 'revoked', 'rejected'] as const;

export interface PersonInput {
  name: string;
  email: string | null;
  kind: (typeof PERSON_KINDS)[number];
  team: string;
  managerId: string | null;
  identifiers: string[];
}
export interface SystemInput {
  name: string;
  kind: (typeof SYSTEM_KINDS)[number];
  classification: (typeof CLASSIFICATIONS)[number];
  ownerId: string | null;
  description: string;
  levels: { name: string; privileged: boolean }[];
}
export interface GrantInput {
  personId: string;
  systemId: string;
  level: string;
  justification: string;
  expiresAt?: string | null;
  jitHours?: number;
}

const base = '/api/v1/access';

/** The people, systems, privileged-list and grants API (src/modules/access/api/people.routes.ts). */
export const peopleApi = {
  people: (q: { status?: string; kind?: string; team?: string; q?: string } = {}) =>
    api.get<{ items: PersonView[] }>(`${base}/people${query(q)}`),
  createPerson: (p: PersonInput) => api.post<PersonView>(`${base}/people`, p),
  updatePerson: (id: string, p: Partial<PersonInput>) => api.patch<PersonView>(`${base}/people/${encodeURIComponent(id)}`, p),
  leave: (id: string, reason: string, leftAt?: string) =>
    api.post<PersonView>(`${base}/people/${encodeURIComponent(id)}/leave`, leftAt ? { reason, leftAt } : { reason }),
  systems: () => api.get<{ items: SystemView[] }>(`${base}/systems`),
  system: (id: string) => api.get<SystemView>(`${base}/systems/${encodeURIComponent(id)}`),
  createSystem: (s: SystemInput) => api.post<SystemView>(`${base}/systems`, s),
  /** Replaces the whole definition (a level with current grants cannot be dropped). */
  updateSystem: (id: string, s: SystemInput) => api.put<SystemView>(`${base}/systems/${encodeURIComponent(id)}`, s),
  privileged: () => api.get<{ items: PrivilegedEntry[] }>(`${base}/privileged`),
  addPrivileged: (personId: string, reason: string) => api.post<PrivilegedEntry>(`${base}/privileged`, { personId, reason }),
  removePrivileged: (personId: string, reason: string) =>
    api.post<{ endedGrants: number }>(`${base}/privileged/${encodeURIComponent(personId)}/remove`, { reason }),
  grants: (q: { state?: string; personId?: string; systemId?: string; expiringWithinDays?: number } = {}) =>
    api.get<{ items: GrantWithActions[] }>(`${base}/grants${query(q)}`),
  grant: (id: string) => api.get<GrantWithActions & { history: GrantEvent[] }>(`${base}/grants/${encodeURIComponent(id)}`),
  request: (g: GrantInput) => api.post<GrantWithActions>(`${base}/grants`, g),
  approve: (id: string) => api.post<GrantWithActions>(`${base}/grants/${encodeURIComponent(id)}/approve`, {}),
  reject: (id: string, reason: string) =>
    api.post<GrantWithActions>(`${base}/grants/${encodeURIComponent(id)}/reject`, { reason }),
  revoke: (id: string, reason: string) =>
    api.post<GrantWithActions>(`${base}/grants/${encodeURIComponent(id)}/revoke`, { reason }),
  /** End an active grant and replace it with a lesser level of the same system. */
  reduce: (id: string, level: string, reason: string) =>
    api.post<{ ended: GrantWithActions; replacement: GrantWithActions }>(`${base}/grants/${encodeURIComponent(id)}/reduce`, {
      level,
      reason,
    }),
};
