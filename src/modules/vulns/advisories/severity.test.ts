import { describe, expect, it } from 'vitest';
import { maxSeverity, severityFromVendor } from './severity.ts';

describe('severityFromVendor', () => {
  it.each([
    // Debian urgencies, with and without the tracker's `*` markers.
    ['not yet assigned', 'unknown'],
    ['unimportant', 'negligible'],
    ['low', 'low'],
    ['low*', 'low'],
    ['low**', 'low'],
    ['medium', 'medium'],
    ['medium**', 'medium'],
    ['high', 'high'],
    ['high**', 'high'],
    ['end-of-life', 'unknown'],
    // GHSA database_specific.severity.
    ['LOW', 'low'],
    ['MODERATE', 'medium'],
    ['HIGH', 'high'],
    ['CRITICAL', 'critical'],
    // Ubuntu priorities.
    ['negligible', 'negligible'],
    ['critical', 'critical'],
    ['untriaged', 'unknown'],
    // Red Hat words used by AlmaLinux and Rocky.
    ['Important', 'high'],
    ['Moderate', 'medium'],
    // Anything else.
    ['', 'unknown'],
    ['severe', 'unknown'],
    ['constructor', 'unknown'],
    [undefined, 'unknown'],
    [null, 'unknown'],
  ] as const)('%s → %s', (word, expected) => {
    expect(severityFromVendor(word)).toBe(expected);
  });
});

describe('maxSeverity', () => {
  it('keeps the higher severity; unknown loses to everything', () => {
    expect(maxSeverity('unknown', 'negligible')).toBe('negligible');
    expect(maxSeverity('high', 'medium')).toBe('high');
    expect(maxSeverity('medium', 'critical')).toBe('critical');
    expect(maxSeverity('low', 'unknown')).toBe('low');
  });
});
