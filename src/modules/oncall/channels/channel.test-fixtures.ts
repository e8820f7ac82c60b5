import type { PageMessage } from './channel.types.ts';

let seq = 0;

/** A page as the outbox would hand it over; the summary carries markup that every channel must escape. */
export function testPage(over: Partial<PageMessage> = {}): PageMessage {
  seq += 1;
  return {
    id: `01JDPAGE${String(seq).padStart(4, '0')}`,
    incidentId: 'inc-42',
    summary: 'Disk full on db1 <script>alert(1)</script> & more',
    severity: 'critical',
    level: 2,
    incidentUrl: 'https://skjold.example.dk/incidents/inc-42',
    ackUrl: 'https://skjold.example.dk/a/Xk3p9QvT7mZ2',
    recipient: { name: 'Ada Lovelace', email: 'ada@example.dk', phone: '+4512345678' },
    ...over,
  };
}

/** Runs `fn` and returns what it threw (fails the test when it did not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
