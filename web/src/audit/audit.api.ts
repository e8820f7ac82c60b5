import { api, query } from '../app/api.ts';

export type Outcome = 'allowed' | 'denied' | 'failed';

export interface AuditChange {
  type: string;
  id: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditEntry {
  seq: number;
  /** UTC, ISO 8601. */
  ts: string;
  actor: string;
  actorName?: string | null;
  action: string;
  target?: string | null;
  ip?: string | null;
  ua?: string | null;
  outcome: Outcome;
  status?: number | null;
  rid?: string | null;
  changes?: AuditChange[] | null;
  detail?: Record<string, unknown> | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: string;
  /** UTC ISO 8601. */
  from?: string;
  to?: string;
}

export type VerifyResult =
  | { ok: true; entries: number; root: string; checkpoints: number | unknown[] }
  | {
      ok: false;
      /** The first sequence number that is, or may be, bad. */
      firstBadSeq: number;
      /** modified, deleted, inserted, reordered, checkpoint_mismatch, bad_signature, truncated. */
      problem: string;
      message: string;
      /** When only a range can be named: the last seq that may be bad. */
      lastSuspectSeq?: number;
    };

export interface PublicKey {
  keyId: string;
  algorithm: string;
  publicKeyPem: string;
}

export const auditApi = {
  entries: (f: AuditFilter, cursor: number | undefined, limit: number, signal?: AbortSignal) =>
    api.get<{ items: AuditEntry[]; nextCursor: number | null }>(
      `/api/v1/audit/entries${query({ ...f, cursor, limit })}`,
      signal ? { signal } : {},
    ),
  verify: () => api.post<VerifyResult>('/api/v1/audit/verify'),
  exportUrl: (from?: string, to?: string) => `/api/v1/audit/export${query({ from, to })}`,
  publicKey: () => api.get<PublicKey>('/api/v1/audit/public-key'),
};
