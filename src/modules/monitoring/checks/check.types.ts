/** What one check found. `error` is one short line for people (bounded), null when the check passed. */
export interface CheckOutcome {
  ok: boolean;
  /** Milliseconds to the answer (connect, first byte or banner, depending on the type); null when none came. */
  responseMs: number | null;
  error: string | null;
}

/** Limits every check runs under. */
export interface CheckLimits {
  /** Hard deadline: the check is aborted (sockets destroyed) when it fires. */
  signal: AbortSignal;
  /** Most body bytes read from an HTTP answer (keyword checks); the rest is never read. */
  maxBodyBytes: number;
  /** Current time, for certificate expiry (injected so tests can move it). */
  now: () => Date;
}

export const ok = (responseMs: number | null): CheckOutcome => ({ ok: true, responseMs, error: null });

/** A failed outcome; the message is cut to 300 characters (it is stored with every failing result). */
export const failed = (error: string, responseMs: number | null = null): CheckOutcome => ({
  ok: false,
  responseMs,
  error: error.replace(/[\r\n]+/g, ' ').slice(0, 300),
});

/** Text of a thrown error (network errors carry a code such as ECONNREFUSED). */
export function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string; name?: string };
  if (err?.name === 'AbortError' || err?.code === 'ABORT_ERR') return 'timed out';
  if (err?.code && err.message && !err.message.includes(err.code)) return `${err.code}: ${err.message}`;
  return err?.message ?? String(e);
}

const DAY_MS = 86_400_000;

/** A certificate problem for the expiry threshold, or null. `validTo` is the X.509 notAfter text. */
export function expiryProblem(validTo: string | undefined, thresholdDays: number, now: Date): string | null {
  if (!validTo) return 'no certificate presented';
  const end = Date.parse(validTo);
  if (Number.isNaN(end)) return `unreadable certificate expiry "${validTo}"`;
  const days = (end - now.getTime()) / DAY_MS;
  if (days < 0) return `certificate expired on ${new Date(end).toISOString()}`;
  if (days < thresholdDays) return `certificate expires in ${Math.floor(days)} days (threshold ${thresholdDays})`;
  return null;
}
