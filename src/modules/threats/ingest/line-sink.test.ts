import { describe, expect, it } from 'vitest';
import { BoundedLineQueue, type LineOrigin } from './line-sink.ts';

const tcp = (receivedAt: number): LineOrigin => ({ transport: 'tcp', peer: '127.0.0.1', receivedAt });

describe('BoundedLineQueue', () => {
  it('hands lines back in order with their origins, across ring growth', () => {
    const q = new BoundedLineQueue({ maxLines: 10_000 });
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}`);
    q.push(lines.slice(0, 1000), tcp(1));
    expect(q.take(500).lines).toEqual(lines.slice(0, 500));
    q.push(lines.slice(1000), tcp(2));
    const rest = q.take(10_000);
    expect(rest.lines).toEqual(lines.slice(500));
    expect(rest.origins[499]?.receivedAt).toBe(1);
    expect(rest.origins[500]?.receivedAt).toBe(2);
    expect(q.stats()).toMatchObject({ depth: 0, bytes: 0, enqueued: 3000, dropped: 0 });
  });

  it('says full at the limit, keeps the whole batch, and drains below the low-water mark', async () => {
    const q = new BoundedLineQueue({ maxLines: 10, lowWater: 0.5 });
    let drains = 0;
    q.onDrain(() => drains++);
    expect(q.push(['a', 'b', 'c'], tcp(1))).toBe(true);
    expect(
      q.push(
        Array.from({ length: 12 }, () => 'x'),
        tcp(2),
      ),
    ).toBe(false);
    expect(q.stats()).toMatchObject({ depth: 15, full: true, dropped: 0 });
    // Still full until the low-water mark, even below the limit.
    expect(q.push(['y'], tcp(3))).toBe(false);
    q.take(8);
    await Promise.resolve();
    expect(drains).toBe(0);
    q.take(3);
    await Promise.resolve();
    expect(drains).toBe(1);
    expect(q.push(['z'], tcp(4))).toBe(true);
  });

  it('drops and counts per transport what exceeds the hard limit (twice the soft one)', () => {
    const q = new BoundedLineQueue({ maxLines: 5 });
    q.push(
      Array.from({ length: 8 }, () => 'a'),
      tcp(1),
    );
    q.push(['b', 'c', 'd', 'e'], { transport: 'udp', receivedAt: 2 });
    expect(q.stats()).toMatchObject({ depth: 10, dropped: 2, droppedByTransport: { udp: 2 } });
  });

  it('bounds by size as well as by count', () => {
    const q = new BoundedLineQueue({ maxLines: 1000, maxBytes: 100 });
    expect(q.push(['x'.repeat(60)], tcp(1))).toBe(true);
    expect(q.push(['x'.repeat(60)], tcp(1))).toBe(false);
    q.push(['x'.repeat(100)], tcp(1)); // already full: over the hard limit of 200
    expect(q.stats()).toMatchObject({ depth: 2, bytes: 120, dropped: 1 });
  });

  it('reports the oldest queued line for the ingest lag', () => {
    const q = new BoundedLineQueue();
    expect(q.oldestReceivedAt()).toBeUndefined();
    q.push(['a'], tcp(100));
    q.push(['b'], tcp(200));
    expect(q.oldestReceivedAt()).toBe(100);
    q.take(1);
    expect(q.oldestReceivedAt()).toBe(200);
  });

  it('feeds an async consumer and ends after close once emptied', async () => {
    const q = new BoundedLineQueue();
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const batch of q) seen.push(...batch.lines);
    })();
    q.push(['a', 'b'], tcp(1));
    await new Promise((r) => setImmediate(r));
    q.push(['c'], tcp(2));
    q.close();
    await consumer;
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
