import type { ThreatEvent } from '../events.ts';

/** Longest text a matcher looks at: longer fields are cut here before matching (paths are at most 8 KiB already). */
export const MAX_MATCH_LENGTH = 16 * 1024;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Fold a field for case-insensitive matching: lower-case and, when `decode`, percent-decode `%xx` once (and `+` to a
 * space). Decoding once and no more is deliberate: `%252e` becomes `%2e`, which the signature lists carry as such.
 * Returns the input itself when nothing changes (the common case), so the fast path allocates nothing.
 */
export function foldText(text: string, decode: boolean): string {
  const s = text.length > MAX_MATCH_LENGTH ? text.slice(0, MAX_MATCH_LENGTH) : text;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127 || (decode && (c === 37 || c === 43))) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    let c = s.charCodeAt(i);
    let decoded = false;
    if (decode && c === 37 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hi < 0 ? -1 : hexValue(s.charCodeAt(i + 2));
      if (lo >= 0) {
        c = hi * 16 + lo;
        i += 2;
        decoded = true;
      }
    } else if (decode && c === 43) c = 32;
    if (c >= 65 && c <= 90) c += 32;
    else if (c > 127 && !decoded) {
      out += s.charAt(i).toLowerCase();
      continue;
    }
    out += String.fromCharCode(c);
  }
  return out;
}

/**
 * One event as the filters see it, with lazily folded copies of the text fields: every scenario that looks at the
 * path shares one folded path per event. The detector reuses a single view for every push (no per-event allocation).
 */
export class EventView {
  e!: ThreatEvent;
  private fPath: string | undefined;
  private fUa: string | undefined;
  private fUser: string | undefined;
  private fHost: string | undefined;
  private fLine: string | undefined;

  reset(e: ThreatEvent): this {
    this.e = e;
    this.fPath = this.fUa = this.fUser = this.fHost = this.fLine = undefined;
    return this;
  }

  /** The field as-is (cut to MAX_MATCH_LENGTH), for case-sensitive matchers; undefined when the event lacks it. */
  raw(field: TextField): string | undefined {
    const v = field === 'line' ? this.e.line : this.e[field];
    return v !== undefined && v.length > MAX_MATCH_LENGTH ? v.slice(0, MAX_MATCH_LENGTH) : v;
  }

  /** The field folded (lower-case; paths and raw lines also percent-decoded once). */
  folded(field: TextField): string | undefined {
    switch (field) {
      case 'path':
        if (this.fPath === undefined && this.e.path !== undefined) this.fPath = foldText(this.e.path, true);
        return this.fPath;
      case 'userAgent':
        if (this.fUa === undefined && this.e.userAgent !== undefined) this.fUa = foldText(this.e.userAgent, false);
        return this.fUa;
      case 'user':
        if (this.fUser === undefined && this.e.user !== undefined) this.fUser = foldText(this.e.user, false);
        return this.fUser;
      case 'host':
        if (this.fHost === undefined && this.e.host !== undefined) this.fHost = foldText(this.e.host, false);
        return this.fHost;
      case 'line':
        if (this.fLine === undefined) this.fLine = foldText(this.e.line, true);
        return this.fLine;
    }
  }
}

/** Text fields a filter can match on (`line` is the raw log line, for `raw:` conditions). */
export type TextField = 'path' | 'userAgent' | 'user' | 'host' | 'line';

/** Whether the field is percent-decoded when folded (the literal scanner decodes on the fly for the same fields). */
export function decodesField(field: TextField): boolean {
  return field === 'path' || field === 'line';
}
