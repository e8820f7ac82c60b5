/**
 * The wire form of parsed events between collectors and detector workers: one NATS message carries a batch.
 *
 * Format (UTF-8 JSON, version 1): `[1, tuple, tuple, …]`, each tuple positional
 * `[time, ip, service, kind, parser, line, host, user, method, path, status, userAgent, dst, proto, dstPort,
 * listedBy, environment]` with absent fields as `null` and trailing absent fields dropped. Positional tuples cut the
 * repeated key names (about 40 % of an object-per-event JSON batch); JSON itself is kept because V8's native
 * `JSON.stringify`/`JSON.parse` beat a hand-written binary codec in JavaScript on string-heavy records (measured in
 * bench/threats/nats.ts). Every size is bounded: messages, events per message and each field. A message that is
 * not a batch is rejected whole; a bad tuple inside a good batch is dropped alone and counted.
 */
import { MAX_LINE_LENGTH, type ThreatEvent, type ThreatKind, type ThreatService } from '../events.ts';

/** Version tag: the first element of every batch. A worker refuses versions it does not know (counted). */
export const CODEC_VERSION = 1;
/** NATS's default `max_payload` (1 MiB): batches are cut before they would exceed it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Most events a decoder accepts in one message (publishers send at most 500 by default). */
export const MAX_EVENTS_PER_MESSAGE = 10_000;

/** Field caps in UTF-16 code units, applied by the encoder (truncation) and enforced by the decoder (rejection). */
export const FIELD_LIMITS = {
  ip: 64,
  parser: 32,
  host: 255,
  user: 256,
  method: 32,
  path: 8192,
  userAgent: 2048,
  dst: 64,
  proto: 16,
  listedBy: 64,
  feedName: 64,
  line: MAX_LINE_LENGTH,
} as const;

/** Per event fixed overhead (numbers, quotes, commas, nulls) added to the size bound. */
const TUPLE_OVERHEAD = 160;

const SERVICES: ReadonlySet<string> = new Set<ThreatService>(['ssh', 'http', 'smtp', 'imap', 'pop3', 'ftp', 'firewall']);
const KINDS: ReadonlySet<string> = new Set<ThreatKind>([
  'auth_failed',
  'invalid_user',
  'auth_success',
  'preauth_close',
  'request',
  'drop',
]);

/** One event on the wire (see the module comment for the positions). */
export type WireTuple = unknown[];

/** Why a whole message was refused. */
export type BatchRejection = 'oversize' | 'not_json' | 'bad_shape' | 'bad_version' | 'too_many_events';

export type DecodedBatch = { ok: true; events: ThreatEvent[]; badEvents: number } | { ok: false; reason: BatchRejection };

function cap(s: string | undefined, max: number): string | null {
  if (s === undefined) return null;
  return s.length > max ? s.slice(0, max) : s;
}

/**
 * The wire tuple of an event, with over-long fields truncated to `FIELD_LIMITS`; null when the event cannot be
 * sent at all (non-finite time, unknown service or kind, missing ip or line), which the publisher counts.
 */
export function eventToTuple(e: ThreatEvent): WireTuple | null {
  if (!Number.isFinite(e.time) || typeof e.ip !== 'string' || e.ip.length === 0 || typeof e.line !== 'string') return null;
  if (!SERVICES.has(e.service) || !KINDS.has(e.kind)) return null;
  const t: WireTuple = [
    e.time,
    cap(e.ip, FIELD_LIMITS.ip),
    e.service,
    e.kind,
    cap(e.parser, FIELD_LIMITS.parser) ?? '',
    cap(e.line, FIELD_LIMITS.line),
    cap(e.host, FIELD_LIMITS.host),
    cap(e.user, FIELD_LIMITS.user),
    cap(e.method, FIELD_LIMITS.method),
    cap(e.path, FIELD_LIMITS.path),
    Number.isInteger(e.status) ? e.status : null,
    cap(e.userAgent, FIELD_LIMITS.userAgent),
    cap(e.dst, FIELD_LIMITS.dst),
    cap(e.proto, FIELD_LIMITS.proto),
    Number.isInteger(e.dstPort) ? e.dstPort : null,
    e.listedBy === undefined
      ? null
      : e.listedBy.slice(0, FIELD_LIMITS.listedBy).map((f) => cap(String(f), FIELD_LIMITS.feedName)),
    e.environment ?? null,
  ];
  let n = t.length;
  while (n > 6 && t[n - 1] === null) n--;
  t.length = n;
  return t;
}

/**
 * An upper bound of the bytes an event adds to an encoded batch, without encoding it: JSON escaping turns one
 * UTF-16 unit into at most 6 bytes (`\u001f`), so 6 × the characters of its strings plus a fixed overhead.
 */
export function tupleByteBound(t: WireTuple): number {
  let chars = 0;
  for (let i = 1; i < t.length; i++) {
    const v = t[i];
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) for (const f of v as unknown[]) chars += typeof f === 'string' ? f.length + 3 : 4;
  }
  return chars * 6 + TUPLE_OVERHEAD;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Encode tuples (from `eventToTuple`) as one message payload. The caller keeps the batch under its size bound. */
export function encodeBatch(tuples: readonly WireTuple[]): Uint8Array {
  const body = JSON.stringify(tuples);
  // `[1,` + the tuples without their opening bracket; an empty batch is `[1]`.
  return encoder.encode(tuples.length === 0 ? `[${CODEC_VERSION}]` : `[${CODEC_VERSION},${body.slice(1)}`);
}

/** Encode events directly (tests, tools); invalid events are left out. */
export function encodeEvents(events: readonly ThreatEvent[]): Uint8Array {
  const tuples: WireTuple[] = [];
  for (const e of events) {
    const t = eventToTuple(e);
    if (t !== null) tuples.push(t);
  }
  return encodeBatch(tuples);
}

function optString(v: unknown, max: number): string | undefined | false {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' && v.length <= max ? v : false;
}

function optInt(v: unknown, min: number, max: number): number | undefined | false {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : false;
}

function tupleToEvent(t: unknown): ThreatEvent | null {
  if (!Array.isArray(t) || t.length < 6 || t.length > 17) return null;
  const [time, ip, service, kind, parser, line] = t as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time)) return null;
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > FIELD_LIMITS.ip) return null;
  if (typeof service !== 'string' || !SERVICES.has(service)) return null;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return null;
  if (typeof parser !== 'string' || parser.length > FIELD_LIMITS.parser) return null;
  if (typeof line !== 'string' || line.length > FIELD_LIMITS.line) return null;
  const host = optString(t[6], FIELD_LIMITS.host);
  const user = optString(t[7], FIELD_LIMITS.user);
  const method = optString(t[8], FIELD_LIMITS.method);
  const path = optString(t[9], FIELD_LIMITS.path);
  const status = optInt(t[10], 0, 999);
  const userAgent = optString(t[11], FIELD_LIMITS.userAgent);
  const dst = optString(t[12], FIELD_LIMITS.dst);
  const proto = optString(t[13], FIELD_LIMITS.proto);
  const dstPort = optInt(t[14], 0, 65_535);
  if (
    host === false ||
    user === false ||
    method === false ||
    path === false ||
    status === false ||
    userAgent === false ||
    dst === false ||
    proto === false ||
    dstPort === false
  )
    return null;
  let listedBy: string[] | undefined;
  const lb: unknown = t[15];
  if (lb !== null && lb !== undefined) {
    if (!Array.isArray(lb) || lb.length > FIELD_LIMITS.listedBy) return null;
    for (const f of lb as unknown[]) if (typeof f !== 'string' || f.length > FIELD_LIMITS.feedName) return null;
    listedBy = lb as string[];
  }
  const env: unknown = t[16];
  if (env !== null && env !== undefined && env !== 'customer' && env !== 'management') return null;
  // Every key always present, in one order: one hidden class for the detectors' hot path.
  return {
    time,
    ip,
    service: service as ThreatService,
    kind: kind as ThreatKind,
    parser,
    host,
    user,
    method,
    path,
    status,
    userAgent,
    dst,
    proto,
    dstPort,
    listedBy,
    environment: env ?? undefined,
    line,
  };
}

/**
 * Decode one message. Never throws: an oversize, non-JSON, wrongly shaped or unknown-version message is refused whole
 * with a reason; inside a good batch each malformed tuple is dropped and counted in `badEvents`.
 */
export function decodeBatch(bytes: Uint8Array, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): DecodedBatch {
  if (bytes.length > maxMessageBytes) return { ok: false, reason: 'oversize' };
  // A batch always starts with `[`: cheap refusal of garbage before decoding or parsing it.
  if (bytes.length < 3 || bytes[0] !== 0x5b) return { ok: false, reason: 'not_json' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return { ok: false, reason: 'bad_shape' };
  if (parsed[0] !== CODEC_VERSION) return { ok: false, reason: 'bad_version' };
  if (parsed.length - 1 > MAX_EVENTS_PER_MESSAGE) return { ok: false, reason: 'too_many_events' };
  const events: ThreatEvent[] = [];
  let badEvents = 0;
  for (let i = 1; i < parsed.length; i++) {
    const e = tupleToEvent(parsed[i]);
    if (e === null) badEvents++;
    else events.push(e);
  }
  return { ok: true, events, badEvents };
}
