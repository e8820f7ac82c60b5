import { describe, expect, it } from 'vitest';
import { foldLine, icalText, icalTime, renderCalendar } from './oncall.ical.ts';

describe('iCalendar output', () => {
  it('writes UTC Z times, CRLF endings and escaped text', () => {
    const cal = renderCalendar({
      name: 'Ops; primary',
      now: new Date('2026-03-01T12:00:00.000Z'),
      events: [
        {
          uid: 'a@skjold',
          start: new Date('2026-03-29T06:00:00.000Z'),
          end: new Date('2026-03-30T06:00:00.000Z'),
          summary: 'On call: Ann, Ops',
        },
      ],
    });
    expect(cal.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(cal.split('\r\n').every((l) => !l.includes('\n'))).toBe(true);
    expect(cal).toContain('\r\nDTSTART:20260329T060000Z\r\nDTEND:20260330T060000Z\r\n');
    expect(cal).toContain('\r\nDTSTAMP:20260301T120000Z\r\n');
    expect(cal).toContain('X-WR-CALNAME:Ops\\; primary');
    expect(cal).toContain('SUMMARY:On call: Ann\\, Ops');
    expect(icalTime(new Date('2026-10-25T01:00:00.000Z'))).toBe('20261025T010000Z');
    expect(icalText('a\\b\nc')).toBe('a\\\\b\\nc');
  });

  it('folds lines at 75 octets without splitting a UTF-8 character', () => {
    const line = `SUMMARY:${'æøå'.repeat(40)}`;
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(75);
    for (const p of parts.slice(1)) expect(p.startsWith(' ')).toBe(true);
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line);
    expect(foldLine('SHORT:x')).toBe('SHORT:x');
  });
});
