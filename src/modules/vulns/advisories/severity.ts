import type { Severity } from '../model.ts';

const WORDS: Record<string, Severity> = {
  // Debian urgencies (after `*` markers are stripped); `end-of-life` says nothing about impact.
  'not yet assigned': 'unknown',
  'end-of-life': 'unknown',
  unimportant: 'negligible',
  // Ubuntu priorities, GHSA (LOW/MODERATE/HIGH/CRITICAL) and Red Hat-style ALSA/RLSA words.
  untriaged: 'unknown',
  unknown: 'unknown',
  none: 'negligible',
  negligible: 'negligible',
  informational: 'negligible',
  low: 'low',
  medium: 'medium',
  moderate: 'medium',
  high: 'high',
  important: 'high',
  critical: 'critical',
};

/**
 * Map a vendor's severity word onto Skjold's scale: Debian urgencies (`low**`, `unimportant`, `not yet assigned`,
 * `end-of-life`), GHSA `LOW`/`MODERATE`/`HIGH`/`CRITICAL`, Ubuntu priorities `negligible`…`critical` and the Red Hat
 * words AlmaLinux and Rocky use (`Important`). Case and Debian's `*` markers are ignored; unknown words are `unknown`.
 */
export function severityFromVendor(word: string | undefined | null): Severity {
  if (word === undefined || word === null) return 'unknown';
  const key = word.replace(/\*/g, '').trim().toLowerCase();
  return Object.hasOwn(WORDS, key) ? (WORDS[key] as Severity) : 'unknown';
}

const RANK: Record<Severity, number> = { unknown: 0, negligible: 1, low: 2, medium: 3, high: 4, critical: 5 };

/** The higher of two severities (`unknown` loses to any known one). */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[b] > RANK[a] ? b : a;
}
