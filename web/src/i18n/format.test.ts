import { describe, expect, it } from 'vitest';
import { formatDateTime, utcToWallTime, wallTimeToUtc } from './format.ts';

describe('wall time in a zone ↔ UTC', () => {
  it('reads Copenhagen winter (UTC+1) and summer (UTC+2) time', () => {
    expect(wallTimeToUtc('2025-01-15T12:00', 'Europe/Copenhagen')).toBe('2025-01-15T11:00:00.000Z');
    expect(wallTimeToUtc('2025-07-15T12:00:30', 'Europe/Copenhagen')).toBe('2025-07-15T10:00:30.000Z');
    expect(wallTimeToUtc('2025-07-15T12:00', 'UTC')).toBe('2025-07-15T12:00:00.000Z');
  });

  it('settles on either side of the DST changes', () => {
    // 30 March 2025: 02:00 → 03:00 local. 26 October 2025: 03:00 → 02:00 local.
    expect(wallTimeToUtc('2025-03-30T01:59', 'Europe/Copenhagen')).toBe('2025-03-30T00:59:00.000Z');
    expect(wallTimeToUtc('2025-03-30T03:00', 'Europe/Copenhagen')).toBe('2025-03-30T01:00:00.000Z');
    expect(wallTimeToUtc('2025-10-26T04:00', 'Europe/Copenhagen')).toBe('2025-10-26T03:00:00.000Z');
  });

  it('round-trips through utcToWallTime', () => {
    for (const iso of ['2025-01-15T11:00:00.000Z', '2025-07-15T10:00:30.000Z', '2025-12-31T23:59:59.000Z']) {
      expect(wallTimeToUtc(utcToWallTime(iso, 'Europe/Copenhagen'), 'Europe/Copenhagen')).toBe(iso);
    }
  });

  it('refuses what is not a datetime-local value', () => {
    expect(wallTimeToUtc('', 'UTC')).toBeUndefined();
    expect(wallTimeToUtc('yesterday', 'UTC')).toBeUndefined();
  });
});

describe('formatDateTime', () => {
  it('shows UTC instants in the chosen zone and locale', () => {
    // Separators vary between ICU versions; the parts do not.
    const da = formatDateTime('2025-07-15T10:00:30Z', 'da-DK', 'Europe/Copenhagen');
    expect(da).toContain('15.07.2025');
    expect(da).toContain('12.00.30');
    const en = formatDateTime('2025-07-15T10:00:30Z', 'en-GB', 'UTC');
    expect(en).toContain('15/07/2025');
    expect(en).toContain('10:00:30');
    expect(formatDateTime('2025-07-15T10:00:30Z', 'en-GB', 'UTC', false)).not.toContain(':30');
  });

  it('leaves nothing empty and unparseable text as it is', () => {
    expect(formatDateTime(null, 'en-GB', 'UTC')).toBe('');
    expect(formatDateTime('not a date', 'en-GB', 'UTC')).toBe('not a date');
  });
});
