import { describe, expect, it } from 'vitest';
import { detectFormat, keyValues, parseBadgeCsv, parseBadgeSyslog, parseEventTime } from './badge-events.parse.ts';
import { residencyCountries, residencyViolation } from './residency.ts';

describe('badge event files', () => {
  it('reads CSV by header name and alias, reporting each bad row with its line and reason', () => {
    const csv = [
      'Card Number;x'.replace(';x', ',Reader,Location,Timestamp,Outcome,extra'),
      '1001,Main entrance,DC1,2026-11-27T08:15:02Z,granted,ignored',
      '1002,Main entrance,DC1,2026-11-27 09:15:02+0100,Access Denied,',
      '',
      '1003,Main entrance,DC1,2026-11-27T08:15:02,granted,',
      '1004,Main entrance,DC1,2026-02-31T08:00:00Z,granted,',
      '1005,"Loading, dock",DC1,2026-11-27T08:20:00Z,maybe,',
      ',Main entrance,DC1,2026-11-27T08:20:00Z,granted,',
      '"10 06",Main entrance,DC1,2026-11-27T08:20:00Z,ok,',
      '1007,Back door,DC1,2026-11-27T08:21:00Z,denied,"a note',
      'over two lines"',
      '1008,"Back',
      'door",DC1,2026-11-27T08:22:00Z,denied,',
    ].join('\r\n');
    const f = parseBadgeCsv(csv);
    expect(f.format).toBe('csv');
    expect(f.rows).toEqual([
      { line: 2, occurredAt: '2026-11-27T08:15:02.000Z', badge: '1001', door: 'Main entrance', site: 'DC1', result: 'granted' },
      { line: 3, occurredAt: '2026-11-27T08:15:02.000Z', badge: '1002', door: 'Main entrance', site: 'DC1', result: 'denied' },
      { line: 10, occurredAt: '2026-11-27T08:21:00.000Z', badge: '1007', door: 'Back door', site: 'DC1', result: 'denied' },
    ]);
    expect(f.rejected.map((r) => [r.line, r.reason])).toEqual([
      [5, 'time 2026-11-27T08:15:02 has no zone (add Z or an offset like +01:00)'],
      [6, 'time 2026-02-31T08:00:00Z is not a real date and time'],
      [7, 'result "maybe" is neither granted nor denied'],
      [8, 'missing badge'],
      [9, 'badge "10 06" is not a badge number (letters, digits, : . _ -, at most 64)'],
      [12, 'door holds control characters'],
    ]);
    expect(f.lines).toBe(9);
  });

  it('refuses a CSV whose header lacks a column, naming it', () => {
    expect(() => parseBadgeCsv('time,badge,door,result\n2026-11-27T08:15:02Z,1,A,granted\n')).toThrow(/lacks the column site/);
    expect(() => parseBadgeCsv('')).toThrow(/no header row/);
  });

  it('reports an unclosed quote and keeps the rows before it', () => {
    const f = parseBadgeCsv(
      'time,badge,door,site,result\n2026-11-27T08:15:02Z,1,A,DC1,granted\n2026-11-27T08:16:02Z,"2,A,DC1,granted\n',
    );
    expect(f.rows).toHaveLength(1);
    expect(f.rejected).toHaveLength(1);
    expect(f.rejected[0]?.reason).toMatch(/quote is never closed/);
  });

  it('reads RFC 5424, RFC 3164 and bare syslog lines; key=value in the message or structured data', () => {
    const lines = [
      '<134>1 2026-11-27T08:15:02.120Z cardsrv pacs 311 - - badge=1001 door="Main entrance" site=DC1 result=granted',
      '<134>1 2026-11-27T08:16:00Z cardsrv pacs - ACCESS [pacs@32473 badge="1002" door="Side \\"B\\"" site="DC1" result="denied"] card read',
      '<38>Nov 27 09:17:00 cardsrv pacs[12]: time=2026-11-27T09:17:00+01:00 badge=1003 door=Main site=DC1 result=ALLOWED',
      '',
      'time=2026-11-27T08:18:00Z badge=1004 door=Main site=DC1 result=granted',
      '<38>Nov 27 09:19:00 cardsrv pacs[12]: badge=1005 door=Main site=DC1 result=granted',
      '<134>1 2026-11-27T08:20:00Z cardsrv pacs - - - badge=1006 site=DC1 result=granted',
      'garbage',
    ].join('\n');
    const f = parseBadgeSyslog(lines);
    expect(f.rows.map((r) => [r.line, r.badge, r.door, r.occurredAt, r.result])).toEqual([
      [1, '1001', 'Main entrance', '2026-11-27T08:15:02.120Z', 'granted'],
      [2, '1002', 'Side "B"', '2026-11-27T08:16:00.000Z', 'denied'],
      [3, '1003', 'Main', '2026-11-27T08:17:00.000Z', 'granted'],
      [5, '1004', 'Main', '2026-11-27T08:18:00.000Z', 'granted'],
    ]);
    expect(f.rejected.map((r) => [r.line, r.reason])).toEqual([
      [6, 'no time: use an RFC 5424 timestamp or a time= field'],
      [7, 'missing door'],
      [8, 'missing time, badge, door, site, result'],
    ]);
    expect(f.lines).toBe(7);
  });

  it('scans key=value pairs in linear time on hostile input', () => {
    const hostile = `a="${'\\'.repeat(50_000)}`;
    const t = performance.now();
    keyValues(hostile);
    keyValues('='.repeat(100_000));
    expect(performance.now() - t).toBeLessThan(500);
  });

  it('chooses the format from the query, the content type, then the first line', () => {
    expect(detectFormat('<134>1 …', 'text/plain', 'csv')).toBe('csv');
    expect(detectFormat('time,badge', 'text/csv; charset=utf-8')).toBe('csv');
    expect(detectFormat('<134>1 2026-…', 'text/plain')).toBe('syslog');
    expect(detectFormat('time=… badge=1', 'text/plain')).toBe('syslog');
    expect(detectFormat('time,badge,door,site,result', 'text/plain')).toBe('csv');
  });

  it('times need a zone and must be real', () => {
    expect(parseEventTime('2026-11-27T10:00:00+0100')).toEqual({ ok: true, iso: '2026-11-27T09:00:00.000Z' });
    expect(parseEventTime('2026-11-27T24:00:00Z').ok).toBe(false);
    expect(parseEventTime('yesterday').ok).toBe(false);
  });
});

describe('data residency (P1)', () => {
  it('is broken only by customer data outside the residency countries', () => {
    const dk = residencyCountries(' dk, se ');
    expect(dk).toEqual(['DK', 'SE']);
    expect(residencyViolation({ country: 'DK', holds: ['customer-data'] }, ['DK'])).toBeNull();
    expect(residencyViolation({ country: 'de', holds: ['office', 'network'] }, ['DK'])).toBeNull();
    expect(residencyViolation({ country: 'de', holds: ['customer-data'] }, ['DK'])).toBe(
      'holds customer data in DE, outside DK (P1)',
    );
    expect(residencyViolation({ country: 'SE', holds: ['customer-data'] }, dk)).toBeNull();
  });
});
