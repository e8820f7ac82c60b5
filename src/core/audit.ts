import type { Db } from './db/database.ts';

/**
 * The contract between every write path and the audit module. Core owns the shape; the audit module
 * owns storage, the Merkle tree and checkpoints.
 */

export type Outcome = 'allowed' | 'denied' | 'failed';

export interface AuditChange {
  /** Kind of thing changed, e.g. `user`. */
  type: string;
  id: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Where a write path records what it changed for its request's audit entry (the route's `ctx.audit`). */
export interface AuditRecorder {
  target(t: string): void;
  change(c: AuditChange): void;
}

export interface AuditInput {
  /** `user:<id>`, `token:<id>`, `system:<name>`, `cli:<user>` or `anonymous`. */
  actor: string;
  /** Display name of the actor (username), for people reading the log. */
  actorName?: string | undefined;
  /** `resource.verb`. */
  action: string;
  target?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  outcome: Outcome;
  status?: number | undefined;
  requestId?: string | undefined;
  changes?: AuditChange[] | undefined;
  /** Small free-form context (error code, reason). Never secrets. */
  detail?: Record<string, unknown> | undefined;
}

export interface AuditSink {
  /** Append inside the caller's transaction: committed or rolled back with the change it records. */
  appendInTx(trx: Db, entry: AuditInput): Promise<number>;
  /** Append on its own (group commit); resolves with the sequence number once durable. */
  append(entry: AuditInput): Promise<number>;
  /** Wait until everything queued is durable. */
  flush(): Promise<void>;
}

const SECRET_KEY = /pass(word)?|secret|token|hash|key|recovery|otp|totp|cookie|credential/i;

/** Replace values of secret-looking keys with "[redacted]", recursively (for before/after records). */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) ? (v === null || v === undefined ? v : '[redacted]') : redact(v);
    }
    return out;
  }
  return value;
}
