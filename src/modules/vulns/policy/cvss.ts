/**
 * CVSS vectors to base scores, through the maintained FIRST-conformant library `@pandatix/js-cvss` (v3.0, v3.1, v4.0).
 *
 * Two gaps of the library (0.4.x) are closed here rather than trusted: its v3 parser does not check that every
 * mandatory base metric is present (`CVSS:3.1/AV:N` parses and scores NaN), so each one is read back and a missing
 * one rejects the vector; and its v3 `Vector()` is broken, so the vector is kept as the vendor wrote it (trimmed).
 * For v4.0 the score is CVSS-B: only the eleven base metrics are scored, so a vendor's threat or environmental
 * metrics never change the figure compared with v3 base scores.
 */
import { CVSS30, CVSS31, CVSS40 } from '@pandatix/js-cvss';

export type CvssVersion = '3.0' | '3.1' | '4.0';

/** One scored vector. */
export interface CvssScore {
  /** Base score, 0.0..10.0. */
  score: number;
  /** The vector as given (trimmed). */
  vector: string;
  version: CvssVersion;
}

/** A vector that could not be scored, and why. */
export interface CvssProblem {
  vector: string;
  reason: string;
}

/** Qualitative severity bands of CVSS v3.1 and v4.0 (identical in both). */
export type CvssSeverity = 'none' | 'low' | 'medium' | 'high' | 'critical';

/** Longest vector accepted (a full v4.0 vector with every optional metric is about 250 characters). */
const MAX_VECTOR_LENGTH = 512;

const V3_BASE_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const V4_BASE_METRICS = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function scoreV3(vector: string, version: '3.0' | '3.1'): number {
  const cvss = version === '3.0' ? new CVSS30(vector) : new CVSS31(vector);
  for (const metric of V3_BASE_METRICS) {
    try {
      cvss.Get(metric);
    } catch {
      throw new Error(`mandatory base metric ${metric} is missing`);
    }
  }
  return cvss.BaseScore();
}

function scoreV4(vector: string): number {
  const full = new CVSS40(vector);
  const base = V4_BASE_METRICS.map((m) => `${m}:${full.Get(m)}`).join('/');
  return new CVSS40(`CVSS:4.0/${base}`).Score();
}

/** Score one vector; `{ ok: false, reason }` for anything that is not a valid v3.0, v3.1 or v4.0 vector. */
export function parseCvss(text: string): { ok: true; value: CvssScore } | { ok: false; reason: string } {
  if (typeof text !== 'string') return { ok: false, reason: 'not a string' };
  const vector = text.trim();
  if (vector.length > MAX_VECTOR_LENGTH) return { ok: false, reason: `longer than ${MAX_VECTOR_LENGTH} characters` };
  const prefix = /^CVSS:(\d\.\d)\//.exec(vector);
  if (!prefix) return { ok: false, reason: 'does not start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/' };
  const version = prefix[1];
  if (version !== '3.0' && version !== '3.1' && version !== '4.0')
    return { ok: false, reason: `unsupported CVSS version ${version}` };
  let score: number;
  try {
    score = version === '4.0' ? scoreV4(vector) : scoreV3(vector, version);
  } catch (e) {
    return { ok: false, reason: errorText(e) };
  }
  if (!Number.isFinite(score) || score < 0 || score > 10) return { ok: false, reason: `scored outside 0..10 (${score})` };
  return { ok: true, value: { score, vector, version } };
}

/** Score every vector: the highest base score (first one wins a tie) and the vectors that were skipped, with why. */
export function scoreCvssVectors(vectors: readonly string[]): { best: CvssScore | undefined; invalid: CvssProblem[] } {
  let best: CvssScore | undefined;
  const invalid: CvssProblem[] = [];
  for (const vector of vectors) {
    const parsed = parseCvss(vector);
    if (!parsed.ok) invalid.push({ vector: String(vector), reason: parsed.reason });
    else if (!best || parsed.value.score > best.score) best = parsed.value;
  }
  return { best, invalid };
}

/**
 * The vector with the highest base score among `vectors`, or undefined when none is valid. Invalid vectors are
 * skipped, never thrown: each is passed to `onInvalid` when given (use `scoreCvssVectors` to get them as a list).
 */
export function bestCvss(vectors: readonly string[], onInvalid?: (problem: CvssProblem) => void): CvssScore | undefined {
  const { best, invalid } = scoreCvssVectors(vectors);
  if (onInvalid) for (const problem of invalid) onInvalid(problem);
  return best;
}

/**
 * The CVSS v3.1 / v4.0 qualitative rating of a base score: 0.0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high,
 * 9.0–10.0 critical. Throws a RangeError for a score outside 0..10 (a caller bug, not data).
 */
export function cvssSeverity(score: number): CvssSeverity {
  if (!Number.isFinite(score) || score < 0 || score > 10) throw new RangeError(`CVSS score out of range: ${score}`);
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}
