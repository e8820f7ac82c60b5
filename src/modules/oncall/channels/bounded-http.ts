import http from 'node:http';
import https from 'node:https';
import { ChannelError, type DeliveryReceipt, MAX_RESPONSE_BYTES } from './channel.types.ts';

export interface HttpCall {
  url: string;
  method: 'POST' | 'PUT' | 'GET';
  headers: Record<string, string>;
  body?: string | undefined;
  /** Extra trusted CA PEM (replaces the system store for this call). */
  ca?: string | undefined;
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  /** At most MAX_RESPONSE_BYTES of the body, decoded as UTF-8. */
  body: string;
  retryAfter: string | undefined;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** A transport-level failure as a ChannelError: connection problems retry, certificate problems fall back at once. */
export function networkError(e: unknown): ChannelError {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  if (CONNECTION_CODES.has(code)) return new ChannelError('connection_failed', text, true);
  if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_SSL|ERR_TLS/.test(code))
    return new ChannelError('tls_failed', text, false);
  return new ChannelError('failed', text, true);
}

/**
 * One HTTP(S) request under hard bounds: the whole exchange (DNS, connect, TLS, request, answer) within `timeoutMs`,
 * no redirects followed, at most 64 KiB of the answer read before the socket is destroyed (a 50 MB answer costs 64
 * KiB). Once the status line is in, the far side has answered: a body that stalls or breaks off later does not turn
 * the answer into a failure. Rejects only with ChannelError.
 */
export function boundedRequest(call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let answer: HttpAnswer | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: HttpAnswer | ChannelError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      if (outcome instanceof ChannelError) reject(outcome);
      else resolve({ ...outcome, body: Buffer.concat(chunks).toString('utf8') });
    };
    const timer = setTimeout(
      () => settle(answer ?? new ChannelError('timeout', `no answer within ${call.timeoutMs} ms`, true)),
      call.timeoutMs,
    );
    let req: http.ClientRequest | undefined;
    try {
      const url = new URL(call.url);
      const lib = url.protocol === 'https:' ? https : http;
      const headers: Record<string, string> = { 'user-agent': 'Skjold', ...call.headers };
      if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
      req = lib.request(url, {
        method: call.method,
        headers,
        // A fresh connection per page: nothing pooled can go stale between pages.
        agent: false,
        ...(call.ca ? { ca: call.ca } : {}),
        minVersion: 'TLSv1.2',
        maxHeaderSize: 16_384,
      });
    } catch (e) {
      settle(new ChannelError('failed', `request not built: ${(e as Error).message}`, false));
      return;
    }
    req.on('error', (e) => settle(answer ?? networkError(e)));
    req.on('response', (res) => {
      const retryAfter = res.headers['retry-after'];
      answer = { status: res.statusCode ?? 0, body: '', retryAfter };
      const done = () => settle(answer as HttpAnswer);
      res.on('data', (c: Buffer) => {
        const room = MAX_RESPONSE_BYTES - size;
        chunks.push(room >= c.length ? c : c.subarray(0, room));
        size += Math.min(room, c.length);
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.end(call.body);
  });
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date), capped at one day. */
function retryAfterSeconds(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const seconds = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : (Date.parse(value) - now.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(86_400, Math.max(0, Math.ceil(seconds)));
}

/** A printable one-line excerpt of an answer body for receipts and errors. */
export function excerpt(body: string, max = 200): string {
  return body
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
}

/**
 * The receipt for a 2xx answer; otherwise a ChannelError: 5xx, 408 and 429 retry, everything else (other 4xx, and
 * 3xx because redirects are not followed) falls back at once.
 */
export function receiptOf(answer: HttpAnswer, now: Date): DeliveryReceipt {
  const { status } = answer;
  const text = excerpt(answer.body);
  const line = `HTTP ${status}${text ? `: ${text}` : ''}`;
  if (status >= 200 && status < 300) return { receipt: line };
  if (status >= 300 && status < 400)
    throw new ChannelError('http_status', `${line} (redirects are not followed)`, false, { status });
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new ChannelError('http_status', line, retryable, {
    status,
    retryAfterSeconds: retryAfterSeconds(answer.retryAfter, now),
  });
}
