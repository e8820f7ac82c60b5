import { api, query } from '../../app/api.ts';
import type { LdapSourceInput, LdapSourceView } from '../../../../src/modules/access/accounts.ldap.ts';

/** An LDAP source as shown (never its bind password) and as sent (the password only when it is to change). */
export type { LdapSourceInput, LdapSourceView as LdapSource };

/** Shapes of the accounts API (mirrors src/modules/access/accounts.service.ts and login-events.ts). */
export const DISCREPANCIES = ['orphaned', 'leaver', 'ungranted', 'excessive'] as const;
export type Discrepancy = (typeof DISCREPANCIES)[number];

export interface SystemAccountsSummary {
  systemId: string;
  systemName: string;
  classification: string;
  accounts: number;
  discrepancies: Record<Discrepancy, number>;
  lastImport: { id: string; source: string; receivedAt: string } | null;
}

export interface Account {
  id: string;
  systemId: string;
  systemName: string;
  account: string;
  displayName: string;
  email: string | null;
  person: { id: string; name: string; status: string } | null;
  privileged: boolean;
  groups: string[];
  disabled: boolean;
  lastUsedAt: string | null;
  firstSeenAt: string;
  goneAt: string | null;
  grant: { id: string; level: string; privileged: boolean; expiresAt: string | null } | null;
  discrepancy: Discrepancy | null;
}

export interface RejectedRow {
  line?: number;
  index?: number;
  account?: string;
  reason: string;
}

export interface ImportResult {
  importId: string;
  status: 'applied' | 'unchanged';
  source: 'csv' | 'json' | 'ldap';
  receivedAt: string;
  counts: { rows: number; added: number; updated: number; unchanged: number; gone: number; rejected: number };
  rows: { line?: number; index?: number; account: string; status: 'added' | 'updated' | 'returned' | 'unchanged' }[];
  rejected: RejectedRow[];
  gone: string[];
  tasksClosed: string[];
}

export interface LoginEvent {
  id: string;
  systemId: string;
  systemName: string;
  account: string;
  personId: string | null;
  personName: string | null;
  occurredAt: string;
  ip: string | null;
  method: string;
  outcome: 'succeeded' | 'failed';
  source: 'sshd' | 'panel';
  auditSeq: number | null;
}

export interface Task {
  id: string;
  kind: string;
  systemId: string;
  systemName: string;
  account: string | null;
  personId: string | null;
  personName: string | null;
  grantId: string | null;
  reviewEntryId: string | null;
  state: 'open' | 'done';
  reason: string;
  openedBy: string;
  openedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  closedReason: string | null;
}

export const accountsApi = {
  summary: () => api.get<{ items: SystemAccountsSummary[] }>('/api/v1/access/accounts/summary'),
  accounts: (systemId: string, gone = false) =>
    api.get<{ items: Account[] }>(
      `/api/v1/access/systems/${encodeURIComponent(systemId)}/accounts${query({ gone: gone ? 'true' : '' })}`,
    ),
  /** The file's text as it is (CSV with a header row, or a JSON array): the server reads it row by row. */
  importList: (systemId: string, text: string) =>
    api.post<ImportResult>(`/api/v1/access/systems/${encodeURIComponent(systemId)}/accounts/import`, text),
  ldap: (systemId: string) => api.get<LdapSourceView>(`/api/v1/access/systems/${encodeURIComponent(systemId)}/ldap`),
  saveLdap: (systemId: string, source: LdapSourceInput) =>
    api.put<LdapSourceView>(`/api/v1/access/systems/${encodeURIComponent(systemId)}/ldap`, source),
  /** Remove the system's LDAP source (its imported accounts stay). */
  removeLdap: (systemId: string) => api.delete(`/api/v1/access/systems/${encodeURIComponent(systemId)}/ldap`),
  pull: (systemId: string) => api.post<ImportResult>(`/api/v1/access/systems/${encodeURIComponent(systemId)}/accounts/pull`),
  loginEvents: (q: { system?: string; account?: string; outcome?: string; limit?: number }) =>
    api.get<{ items: LoginEvent[] }>(`/api/v1/access/login-events${query(q)}`),
  tasks: (q: { state?: string; system?: string }) => api.get<{ items: Task[] }>(`/api/v1/access/tasks${query(q)}`),
  closeTask: (id: string, reason: string) => api.post<Task>(`/api/v1/access/tasks/${encodeURIComponent(id)}/close`, { reason }),
};
