import type { ChannelKind } from './channel.schemas.ts';

/** One page for one person on one channel, as the outbox hands it over. */
export interface PageMessage {
  /** Outbox row id: idempotency key, e-mail Message-ID, webhook X-Skjold-Delivery. */
  id: string;
  incidentId: string;
  summary: string;
  severity: 'critical' | 'major' | 'minor' | 'info';
  /** Escalation level this page belongs to (1 = first responder). */
  level: number;
  /** Link to the incident in the console. */
  incidentUrl: string;
  /** Signed single-use acknowledgement link. */
  ackUrl: string;
  recipient: { name: string; email?: string; phone?: string };
}

/** What the far side said when it took the page: SMTP response and message id, or HTTP status and a short excerpt. */
export interface DeliveryReceipt {
  receipt: string;
}

/** A configured channel, ready to send. `close` releases pooled resources (none are kept today; call it anyway). */
export interface Channel {
  kind: ChannelKind;
  send(msg: PageMessage): Promise<DeliveryReceipt>;
  close?(): Promise<void>;
}

export interface ChannelOptions {
  /** Hard limit for one send: DNS, connect, TLS and the whole exchange. Default 10 000 ms. */
  timeoutMs?: number;
  /** Clock for `sentAt` and webhook signatures (tests move it). */
  now?: () => Date;
}

export type ChannelErrorCode =
  | 'timeout'
  | 'connection_failed'
  | 'tls_failed'
  | 'http_status'
  | 'smtp_rejected'
  | 'smtp_auth_failed'
  | 'recipient_missing'
  | 'recipient_invalid'
  | 'message_too_long'
  | 'failed';

/**
 * The only error a channel throws. `retryable` tells the outbox whether the same channel may succeed later (timeouts,
 * connection errors, HTTP 5xx/408/429, SMTP 4xx) or whether it should fall back at once (HTTP 4xx, SMTP 5xx, bad
 * recipient). The message never contains secrets (no URL paths, no credentials) and is at most 300 characters.
 */
export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  readonly retryable: boolean;
  /** HTTP status or SMTP reply code, when the far side answered. */
  readonly status: number | undefined;
  /** Seconds the far side asked us to wait (HTTP Retry-After), capped at one day. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ChannelErrorCode,
    message: string,
    retryable: boolean,
    opts: { status?: number | undefined; retryAfterSeconds?: number | undefined } = {},
  ) {
    super(message.replace(/[\r\n]+/g, ' ').slice(0, 300));
    this.name = 'ChannelError';
    this.code = code;
    this.retryable = retryable;
    this.status = opts.status;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Most bytes read from any answer; the rest is never read (the socket is destroyed). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
