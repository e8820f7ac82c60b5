import { hexSafePreview, newCounters, type SampleRing, type Transport, type TransportCounters } from './ingest-stats.ts';

/**
 * Largest message kept, in bytes; longer ones are cut here (at a character boundary) and counted as truncated. It must
 * be at least 3 × MAX_LINE_LENGTH (16 Ki UTF-16 code units, events.ts): a BMP character takes up to 3 UTF-8 bytes for
 * its one code unit, so 48 KiB of input always covers what the parsers read; 64 KiB also matches the largest UDP datagram.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
const LT = 0x3c;
const MODE_START = 0;
const MODE_NEWLINE = 1;
const MODE_OCTET = 2;
/** Most digits an octet count may have (< 1 GB; RFC 6587 sets no limit, but nothing sends such frames). */
const MAX_COUNT_DIGITS = 9;
/** A pending buffer above this is released after its message, so idle connections stay small. */
const KEEP_PEND_BYTES = 4096;

export interface FramerOptions {
  /** Detect RFC 6587 octet counting (`<len> <msg>`) per message. On for syslog over TCP, off for files and HTTP. */
  octetCounting?: boolean;
  maxMessageBytes?: number;
  /** Shared by all framers of a transport; a private set is made when absent. */
  counters?: TransportCounters;
  samples?: SampleRing | undefined;
  transport?: Transport;
  peer?: string | undefined;
}

/**
 * Last index (exclusive) at or before `end` that does not split a UTF-8 character: truncation must not manufacture
 * a U+FFFD (that would count as invalid input the sender never sent).
 */
export function utf8SafeEnd(buf: Uint8Array, start: number, end: number): number {
  let j = end - 1;
  let k = 0;
  while (j >= start && k < 3 && (buf[j]! & 0xc0) === 0x80) {
    j--;
    k++;
  }
  if (j < start) return end;
  const lead = buf[j]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return j + need > end ? j : end;
}

/**
 * A streaming framer for syslog over TCP (and, with octet counting off, for files and HTTP bodies). Feed it Buffers
 * as they arrive; complete messages are appended to `out`. Framing is decided per message: one that starts with a
 * non-zero digit run, a space and the `<` of a syslog PRI is octet-counted (RFC 6587 §3.4.1; the `<` is required so
 * that plain lines such as `200 OK` or `1700000000 epoch` are never taken for counts), anything else ends at LF or
 * NUL (§3.4.2; a CR before the LF is dropped, empty lines are skipped). Memory is bounded by `maxMessageBytes` per framer: a longer
 * message keeps its head, the rest is discarded up to the next frame, and it is counted as truncated. Bytes decode as
 * UTF-8 with invalid sequences replaced by U+FFFD and counted.
 */
export class SyslogFramer {
  readonly counters: TransportCounters;
  readonly #octet: boolean;
  readonly #max: number;
  readonly #samples: SampleRing | undefined;
  readonly #transport: Transport;
  readonly #peer: string | undefined;
  #mode = MODE_START;
  #digits = 0;
  #digitCount = 0;
  #sawSpace = false;
  #remaining = 0;
  #pend: Buffer | null = null;
  #pendLen = 0;
  #truncating = false;
  #frameBytes = 0;
  #frameTotal = 0;
  // Next LF / NUL in the current chunk: -2 not searched yet, -1 none left. Caching keeps the scan linear.
  #lfPos = -2;
  #nulPos = -2;

  constructor(opts: FramerOptions = {}) {
    this.#octet = opts.octetCounting ?? false;
    this.#max = Math.max(16, opts.maxMessageBytes ?? MAX_MESSAGE_BYTES);
    this.counters = opts.counters ?? newCounters();
    this.#samples = opts.samples;
    this.#transport = opts.transport ?? 'tcp';
    this.#peer = opts.peer;
  }

  /**
   * Bytes of the current, unfinished message consumed so far (held or discarded). A file tailer's committed offset is
   * its read offset minus this, so a restart re-reads the unfinished line instead of losing or splitting it.
   */
  get pendingBytes(): number {
    return this.#frameBytes;
  }

  push(chunk: Buffer, out: string[]): void {
    const n = chunk.length;
    let i = 0;
    this.#lfPos = -2;
    this.#nulPos = -2;
    while (i < n) {
      if (this.#mode === MODE_START) {
        const b = chunk[i]!;
        if (this.#digitCount === 0) {
          if (b === LF || b === CR || b === NUL) {
            i++;
            continue;
          }
          if (this.#octet && b >= 0x31 && b <= 0x39) {
            this.#digits = b - 0x30;
            this.#digitCount = 1;
            this.#frameBytes = 1;
            i++;
            continue;
          }
          this.#mode = MODE_NEWLINE;
        } else {
          if (b >= 0x30 && b <= 0x39 && !this.#sawSpace && this.#digitCount < MAX_COUNT_DIGITS) {
            this.#digits = this.#digits * 10 + (b - 0x30);
            this.#digitCount++;
            this.#frameBytes++;
            i++;
            continue;
          }
          if (b === SP && !this.#sawSpace) {
            this.#sawSpace = true;
            this.#frameBytes++;
            i++;
            continue;
          }
          if (b === LT && this.#sawSpace) {
            // The '<' is the first byte of the counted message: not consumed here.
            this.#mode = MODE_OCTET;
            this.#remaining = this.#digits;
            this.#frameTotal = this.#digits;
            this.#digitCount = 0;
            this.#sawSpace = false;
            continue;
          }
          // Not a count after all: the digits (and space) begin a plain newline-framed message.
          const prefix = this.#countPrefix();
          this.#mode = MODE_NEWLINE;
          this.#append(prefix, 0, prefix.length);
        }
      }
      if (this.#mode === MODE_NEWLINE) {
        const t = this.#nextTerminator(chunk, i);
        const end = t < 0 ? n : t;
        if (t >= 0 && this.#pendLen === 0 && !this.#truncating) {
          this.#emit(chunk, i, end, true, out);
        } else {
          this.#append(chunk, i, end);
          if (t >= 0) this.#emitPending(true, out);
        }
        if (t >= 0) {
          this.#frameBytes = 0;
          this.#mode = MODE_START;
          i = t + 1;
        } else {
          this.#frameBytes += end - i;
          i = n;
        }
      } else if (this.#mode === MODE_OCTET) {
        const take = Math.min(this.#remaining, n - i);
        if (take === this.#remaining && this.#pendLen === 0 && !this.#truncating) {
          this.#emit(chunk, i, i + take, false, out);
        } else {
          this.#append(chunk, i, i + take);
          if (take === this.#remaining) this.#emitPending(false, out);
        }
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) {
          this.#frameBytes = 0;
          this.#mode = MODE_START;
        } else {
          this.#frameBytes += take;
        }
      }
    }
  }

  /**
   * The stream ended: a newline-framed message without its terminator is delivered; an octet-counted frame still
   * missing bytes is dropped and counted as `incomplete` (its sender died mid-message).
   */
  end(out: string[]): void {
    if (this.#mode === MODE_START && this.#digitCount > 0) {
      const digits = this.#countPrefix();
      this.#emit(digits, 0, digits.length, true, out);
    } else if (this.#mode === MODE_NEWLINE) {
      this.#emitPending(true, out);
    } else if (this.#mode === MODE_OCTET) {
      this.counters.dropped.incomplete++;
      if (this.#samples?.wants('incomplete') && this.#pend) {
        this.#samples.add({
          transport: this.#transport,
          reason: 'incomplete',
          peer: this.#peer,
          preview: hexSafePreview(this.#pend, 0, this.#pendLen),
          size: this.#frameTotal,
        });
      }
    }
    this.#reset();
  }

  /**
   * Delivers `buf` as one complete message (a UDP datagram): one trailing LF/CRLF/NUL is removed, line breaks inside
   * stay, and the size limit, UTF-8 replacement and counters apply as for framed messages.
   */
  whole(buf: Buffer, out: string[]): void {
    this.#emit(buf, 0, buf.length, false, out);
  }

  /** Forgets an unfinished message without delivering it (a file was truncated under us). */
  discard(): void {
    this.#reset();
  }

  #reset(): void {
    this.#mode = MODE_START;
    this.#digitCount = 0;
    this.#sawSpace = false;
    this.#remaining = 0;
    this.#pendLen = 0;
    this.#truncating = false;
    this.#frameBytes = 0;
    if (this.#pend && this.#pend.length > KEEP_PEND_BYTES) this.#pend = null;
  }

  /** The bytes taken as a possible octet count, given back when they turn out to be text. */
  #countPrefix(): Buffer {
    const text = String(this.#digits) + (this.#sawSpace ? ' ' : '');
    this.#digitCount = 0;
    this.#sawSpace = false;
    return Buffer.from(text, 'latin1');
  }

  #nextTerminator(chunk: Buffer, i: number): number {
    if (this.#lfPos === -2 || (this.#lfPos >= 0 && this.#lfPos < i)) this.#lfPos = chunk.indexOf(LF, i);
    if (this.#nulPos === -2 || (this.#nulPos >= 0 && this.#nulPos < i)) this.#nulPos = chunk.indexOf(NUL, i);
    const lf = this.#lfPos;
    const nul = this.#nulPos;
    if (lf < 0) return nul;
    if (nul < 0) return lf;
    return lf < nul ? lf : nul;
  }

  #append(buf: Buffer, start: number, end: number): void {
    if (this.#truncating || end <= start) return;
    const room = this.#max - this.#pendLen;
    const len = end - start;
    const take = len <= room ? len : room;
    const need = this.#pendLen + take;
    if (!this.#pend || this.#pend.length < need) {
      // Grow geometrically up to the maximum: most connections never hold more than a fraction of a line.
      const grown = Buffer.allocUnsafe(Math.min(this.#max, Math.max(need, 1024, (this.#pend?.length ?? 0) * 2)));
      if (this.#pend) this.#pend.copy(grown, 0, 0, this.#pendLen);
      this.#pend = grown;
    }
    buf.copy(this.#pend, this.#pendLen, start, start + take);
    this.#pendLen += take;
    if (len > room) this.#truncating = true;
  }

  #emitPending(newline: boolean, out: string[]): void {
    if (this.#pend && this.#pendLen > 0) {
      if (this.#truncating) this.#emitTruncated(this.#pend, 0, this.#pendLen, this.#frameBytes, out);
      else this.#emit(this.#pend, 0, this.#pendLen, newline, out);
    }
    this.#pendLen = 0;
    this.#truncating = false;
    if (this.#pend && this.#pend.length > KEEP_PEND_BYTES) this.#pend = null;
  }

  #emit(buf: Buffer, start: number, end: number, newline: boolean, out: string[]): void {
    // The limit applies to the raw frame (terminator bytes included), exactly as #append counts it, so the result
    // does not depend on how the stream was chunked.
    if (end - start > this.#max) {
      this.#emitTruncated(buf, start, start + this.#max, end - start, out);
      return;
    }
    let e = end;
    if (newline) {
      if (e > start && buf[e - 1] === CR) e--;
    } else if (e > start && (buf[e - 1] === LF || buf[e - 1] === NUL)) {
      // Some senders count the trailing newline into the frame.
      e--;
      if (e > start && buf[e - 1] === CR) e--;
    }
    this.#decode(buf, start, e, out);
  }

  #emitTruncated(buf: Buffer, start: number, end: number, size: number, out: string[]): void {
    this.counters.truncated++;
    if (this.#samples?.wants('truncated')) {
      this.#samples.add({
        transport: this.#transport,
        reason: 'truncated',
        peer: this.#peer,
        preview: hexSafePreview(buf, start, end),
        size,
      });
    }
    this.#decode(buf, start, utf8SafeEnd(buf, start, end), out);
  }

  #decode(buf: Buffer, start: number, end: number, out: string[]): void {
    if (end <= start) return;
    const s = buf.toString('utf8', start, end);
    // One indexOf per line: the careful count runs only when a replacement character is present at all.
    if (s.indexOf('\uFFFD') !== -1) {
      const invalid = countInvalidUtf8(buf, start, end, s);
      if (invalid > 0) {
        this.counters.invalidUtf8 += invalid;
        if (this.#samples?.wants('invalid_utf8')) {
          this.#samples.add({
            transport: this.#transport,
            reason: 'invalid_utf8',
            peer: this.#peer,
            preview: hexSafePreview(buf, start, end),
            size: end - start,
          });
        }
      }
    }
    this.counters.linesRead++;
    out.push(s);
  }
}

/** Replacement characters the decoder produced, minus those the input really contained (EF BF BD). */
function countInvalidUtf8(buf: Buffer, start: number, end: number, decoded: string): number {
  let produced = 0;
  for (let p = decoded.indexOf('\uFFFD'); p !== -1; p = decoded.indexOf('\uFFFD', p + 1)) produced++;
  let genuine = 0;
  for (let p = buf.indexOf(0xef, start); p !== -1 && p + 2 < end; p = buf.indexOf(0xef, p + 1)) {
    if (buf[p + 1] === 0xbf && buf[p + 2] === 0xbd) genuine++;
  }
  return produced - genuine;
}

export interface SplitLinesResult {
  lines: string[];
  truncated: number;
  invalidUtf8: number;
}

/**
 * Splits a whole body (HTTP bulk upload, a test fixture) into lines with the same limits as the stream framer:
 * LF/CRLF/NUL terminators, empty lines skipped, the last line needs no terminator, long lines truncated and counted.
 */
export function splitLines(
  body: Buffer | string,
  opts: { maxMessageBytes?: number; counters?: TransportCounters; samples?: SampleRing; peer?: string } = {},
): SplitLinesResult {
  const counters = opts.counters ?? newCounters();
  const before = { truncated: counters.truncated, invalid: counters.invalidUtf8 };
  const framer = new SyslogFramer({ ...opts, counters, transport: 'http', octetCounting: false });
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  counters.bytesRead += buf.length;
  const lines: string[] = [];
  framer.push(buf, lines);
  framer.end(lines);
  return { lines, truncated: counters.truncated - before.truncated, invalidUtf8: counters.invalidUtf8 - before.invalid };
}

export interface NdjsonError {
  /** 1-based line number in the body. */
  line: number;
  reason: 'invalid_json' | 'not_an_object' | 'missing_line';
}

export interface NdjsonResult {
  lines: string[];
  /** Bad rows, the first 100 (see `rejected` for the total). */
  errors: NdjsonError[];
  rejected: number;
  truncated: number;
  invalidUtf8: number;
}

const MAX_NDJSON_ERRORS = 100;

/**
 * Reads an NDJSON body: each non-empty line a JSON object whose `line` (or else `message`) string is the log line.
 * Bad rows are skipped and reported with their 1-based line number; the good ones are kept. A row may be up to four
 * times the message limit (JSON escapes inflate text); the extracted line is cut at the limit (in UTF-16 code units,
 * the text is decoded by then) and counted as truncated.
 */
export function readNdjson(
  body: Buffer | string,
  opts: { maxMessageBytes?: number; counters?: TransportCounters; samples?: SampleRing; peer?: string } = {},
): NdjsonResult {
  const max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const counters = opts.counters ?? newCounters();
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  counters.bytesRead += buf.length;
  // Rows are decoded one at a time with their own counters: an over-long row is a bad row, not a truncated line.
  const rowCounters = newCounters();
  const rowFramer = new SyslogFramer({ maxMessageBytes: max * 4, counters: rowCounters, transport: 'http' });
  const lines: string[] = [];
  const errors: NdjsonError[] = [];
  const row: string[] = [];
  let rejected = 0;
  let truncated = 0;
  let lineNo = 0;
  for (let start = 0; start < buf.length;) {
    let nl = buf.indexOf(LF, start);
    if (nl === -1) nl = buf.length;
    lineNo++;
    const rowStart = start;
    start = nl + 1;
    row.length = 0;
    rowFramer.whole(buf.subarray(rowStart, nl), row);
    const text = row[0];
    if (text === undefined || isBlank(text)) continue;
    // A row cut at its limit cannot be whole JSON.
    const parsed: NdjsonRow = rowCounters.truncated > 0 ? { kind: 'error', reason: 'invalid_json' } : ndjsonLine(text);
    rowCounters.truncated = 0;
    if (parsed.kind === 'error') {
      rejected++;
      if (errors.length < MAX_NDJSON_ERRORS) errors.push({ line: lineNo, reason: parsed.reason });
      if (opts.samples?.wants('bad_json')) {
        opts.samples.add({
          transport: 'http',
          reason: 'bad_json',
          peer: opts.peer,
          preview: hexSafePreview(buf, rowStart, nl),
          size: nl - rowStart,
        });
      }
      continue;
    }
    let s = parsed.line;
    if (s.length > max) {
      s = s.slice(0, max);
      // Do not leave half a surrogate pair behind.
      if ((s.charCodeAt(max - 1) & 0xfc00) === 0xd800) s = s.slice(0, max - 1);
      truncated++;
    }
    lines.push(s);
  }
  counters.linesRead += lines.length;
  counters.truncated += truncated;
  counters.invalidUtf8 += rowCounters.invalidUtf8;
  return { lines, errors, rejected, truncated, invalidUtf8: rowCounters.invalidUtf8 };
}

type NdjsonRow = { kind: 'line'; line: string } | { kind: 'error'; reason: NdjsonError['reason'] };

function ndjsonLine(text: string): NdjsonRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'error', reason: 'invalid_json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'error', reason: 'not_an_object' };
  const o = value as Record<string, unknown>;
  const line = typeof o.line === 'string' ? o.line : o.message;
  if (typeof line !== 'string' || line.length === 0) return { kind: 'error', reason: 'missing_line' };
  return { kind: 'line', line };
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
