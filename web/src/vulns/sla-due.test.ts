import { describe, expect, it } from 'vitest';
import { slaDueText } from './sla-due.ts';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const at = (hours: number) => new Date(NOW + hours * 3_600_000).toISOString();

describe('slaDueText', () => {
  it('counts hours under two days and whole days beyond, before and after the deadline', () => {
    expect(slaDueText(at(47), 'ok', { now: NOW })).toEqual({ kind: 'left', unit: 'h', n: 47, tone: 'ok' });
    expect(slaDueText(at(3 * 24 + 5), 'ok', { now: NOW })).toEqual({ kind: 'left', unit: 'd', n: 3, tone: 'ok' });
    expect(slaDueText(at(-(2 * 24 + 20)), 'breached', { now: NOW })).toEqual({
      kind: 'breached',
      unit: 'd',
      n: 2,
      tone: 'breached',
    });
    expect(slaDueText(at(-5), 'breached', { now: NOW })).toEqual({ kind: 'breached', unit: 'h', n: 5, tone: 'breached' });
    // Less than an hour left still reads as an hour, never "0 h left".
    expect(slaDueText(at(0.2), 'near', { now: NOW })).toEqual({ kind: 'left', unit: 'h', n: 1, tone: 'near' });
  });

  it('takes its tone from the server, and a deadline past on this clock is breached before the next sweep', () => {
    expect(slaDueText(at(30), 'near', { now: NOW })).toEqual({ kind: 'left', unit: 'h', n: 30, tone: 'near' });
    expect(slaDueText(at(-1), 'near', { now: NOW })).toMatchObject({ kind: 'breached', tone: 'breached' });
  });

  it('says nothing for settled findings or without a deadline, and "outside" for customer-managed ones (P14)', () => {
    expect(slaDueText(at(10), 'ok', { now: NOW, settled: true })).toEqual({ kind: 'none' });
    expect(slaDueText(null, 'ok', { now: NOW })).toEqual({ kind: 'none' });
    expect(slaDueText(at(10), 'none', { now: NOW })).toEqual({ kind: 'none' });
    expect(slaDueText('not a time', 'ok', { now: NOW })).toEqual({ kind: 'none' });
    expect(slaDueText(at(-100), 'breached', { now: NOW, operatedBy: 'customer' })).toEqual({ kind: 'outside' });
  });
});
