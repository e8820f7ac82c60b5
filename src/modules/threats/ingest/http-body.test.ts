import { describe, expect, it } from 'vitest';
import { ingestHttpBody } from './http-body.ts';
import { newCounters } from './ingest-stats.ts';
import { BoundedLineQueue } from './line-sink.ts';

describe('ingestHttpBody', () => {
  it('frames raw lines and pushes them with the peer as origin', async () => {
    const queue = new BoundedLineQueue();
    const counters = newCounters();
    const r = await ingestHttpBody(queue, 'one\r\ntwo\n\nthree', { format: 'lines', peer: '192.0.2.1', counters });
    expect(r).toMatchObject({ status: 'accepted', accepted: 3, rejected: 0 });
    const batch = queue.take(10);
    expect(batch.lines).toEqual(['one', 'two', 'three']);
    expect(batch.origins[0]).toMatchObject({ transport: 'http', peer: '192.0.2.1' });
    expect(counters.linesRead).toBe(3);
  });

  it('keeps good NDJSON rows and reports bad ones by line number', async () => {
    const queue = new BoundedLineQueue();
    const r = await ingestHttpBody(queue, '{"line":"a"}\n{oops\n{"message":"b"}\n', { format: 'ndjson' });
    expect(r).toEqual({
      status: 'accepted',
      accepted: 2,
      rejected: 1,
      errors: [{ line: 2, reason: 'invalid_json' }],
      truncated: 0,
      invalidUtf8: 0,
    });
    expect(queue.take(10).lines).toEqual(['a', 'b']);
  });

  it('answers busy, taking nothing, when the sink stays full', async () => {
    const queue = new BoundedLineQueue({ maxLines: 2 });
    queue.push(['x', 'y'], { transport: 'tcp', receivedAt: 0 });
    const counters = newCounters();
    const r = await ingestHttpBody(queue, 'z\n', { format: 'lines', waitMs: 20, counters });
    expect(r).toEqual({ status: 'busy', retryAfterSeconds: 1 });
    expect(queue.depth).toBe(2);
    expect(counters.connectionsRejected).toBe(1);
  });

  it('waits for the drain, then takes the body whole', async () => {
    const queue = new BoundedLineQueue({ maxLines: 2 });
    queue.push(['x', 'y'], { transport: 'tcp', receivedAt: 0 });
    const pending = ingestHttpBody(queue, 'z1\nz2\nz3\n', { format: 'lines', waitMs: 10_000 });
    setImmediate(() => queue.take(2));
    expect(await pending).toMatchObject({ status: 'accepted', accepted: 3 });
    expect(queue.take(10).lines).toEqual(['z1', 'z2', 'z3']);
    expect(queue.stats().dropped).toBe(0);
  });
});
