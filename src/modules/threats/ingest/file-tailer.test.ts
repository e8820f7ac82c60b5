import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTailer, type FileTailerOptions } from './file-tailer.ts';
import { BoundedLineQueue } from './line-sink.ts';

const log = pino({ level: 'silent' });
let dir = '';
let tailers: FileTailer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skjold-tail-'));
});

afterEach(async () => {
  for (const t of tailers) await t.stop();
  tailers = [];
  rmSync(dir, { recursive: true, force: true });
});

// Polling is pushed far out: each test drives the tailer with pollNow(), so nothing depends on timing.
async function tail(queue: BoundedLineQueue, paths: string[], extra: Partial<FileTailerOptions> = {}): Promise<FileTailer> {
  const t = new FileTailer({
    paths,
    sink: queue,
    statePath: join(dir, 'state', 'offsets.json'),
    pollIntervalMs: 3_600_000,
    persistIntervalMs: 60_000,
    log,
    ...extra,
  });
  tailers.push(t);
  await t.start();
  return t;
}

function drain(queue: BoundedLineQueue): string[] {
  return queue.take(1_000_000).lines;
}

describe('FileTailer', () => {
  it('reads appended lines, holding a partial last line until its newline', async () => {
    const file = join(dir, 'auth.log');
    writeFileSync(file, 'one\ntwo\n');
    const queue = new BoundedLineQueue();
    const t = await tail(queue, [file]);
    expect(drain(queue)).toEqual(['one', 'two']);
    appendFileSync(file, 'three\nfo');
    await t.pollNow();
    expect(drain(queue)).toEqual(['three']);
    appendFileSync(file, 'ur\r\n');
    await t.pollNow();
    expect(drain(queue)).toEqual(['four']);
    const origin = (appendFileSync(file, 'five\n'), await t.pollNow(), queue.take(1).origins[0]);
    expect(origin).toMatchObject({ transport: 'file', file });
  });

  it('follows a rename rotation (logrotate create): finishes the old file, then reads the new one from 0', async () => {
    const file = join(dir, 'nginx.log');
    writeFileSync(file, 'a1\n');
    const queue = new BoundedLineQueue();
    const t = await tail(queue, [file]);
    expect(drain(queue)).toEqual(['a1']);
    appendFileSync(file, 'a2\na3-partial');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'b1\nb2\n');
    await t.pollNow();
    expect(drain(queue)).toEqual(['a2', 'a3-partial', 'b1', 'b2']);
    expect(t.stats().rotations).toBe(1);
    appendFileSync(`${file}.1`, 'late write to the old file\n');
    appendFileSync(file, 'b3\n');
    await t.pollNow();
    expect(drain(queue)).toEqual(['b3']);
  });

  it('follows copytruncate: a file shorter than our offset is read again from 0', async () => {
    const file = join(dir, 'mail.log');
    writeFileSync(file, 'old line 1\nold line 2\n');
    const queue = new BoundedLineQueue();
    const t = await tail(queue, [file]);
    expect(drain(queue)).toEqual(['old line 1', 'old line 2']);
    truncateSync(file, 0);
    appendFileSync(file, 'new 1\n');
    await t.pollNow();
    expect(drain(queue)).toEqual(['new 1']);
    expect(t.stats().truncations).toBe(1);
  });

  it('resumes from the persisted offset after a restart, losing and repeating nothing', async () => {
    const file = join(dir, 'secure');
    writeFileSync(file, 'l1\nl2\nl3\nl4-beg');
    const queue = new BoundedLineQueue();
    const first = await tail(queue, [file]);
    expect(drain(queue)).toEqual(['l1', 'l2', 'l3']);
    await first.stop();
    tailers = [];
    const saved = JSON.parse(readFileSync(join(dir, 'state', 'offsets.json'), 'utf8')) as { files: { offset: number }[] };
    expect(saved.files[0]?.offset).toBe('l1\nl2\nl3\n'.length);

    appendFileSync(file, 'in\nl5\n');
    await tail(queue, [file]);
    expect(drain(queue)).toEqual(['l4-begin', 'l5']);
  });

  it('starts over when the file was rotated while stopped, and honours startAt only for files never seen', async () => {
    const seen = join(dir, 'seen.log');
    const fresh = join(dir, 'fresh.log');
    const later = join(dir, 'later.log');
    writeFileSync(seen, 's1\n');
    const queue = new BoundedLineQueue();
    const first = await tail(queue, [seen]);
    expect(drain(queue)).toEqual(['s1']);
    await first.stop();
    tailers = [];

    renameSync(seen, `${seen}.1`);
    writeFileSync(seen, 's2\n');
    writeFileSync(fresh, 'history\n');
    const t = await tail(queue, [seen, fresh, later], { startAt: 'end' });
    expect(drain(queue)).toEqual(['s2']);
    appendFileSync(fresh, 'f1\n');
    writeFileSync(later, 'x1\n');
    await t.pollNow();
    expect(drain(queue).sort()).toEqual(['f1', 'x1']);
  });

  it('stops reading while the sink is full and resumes on drain, in order, without loss', async () => {
    const file = join(dir, 'big.log');
    const total = 50_000;
    writeFileSync(file, Array.from({ length: total }, (_, i) => `line ${i}\n`).join(''));
    const queue = new BoundedLineQueue({ maxLines: 100 });
    await tail(queue, [file], { readChunkBytes: 4096 });
    const received: string[] = [];
    // Gives up only after 5 s without progress (a stall), never on a deadline.
    for (let idle = 0; received.length < total && idle < 5000;) {
      const got = queue.take(50).lines;
      received.push(...got);
      idle = got.length > 0 ? 0 : idle + 1;
      await new Promise((r) => (got.length > 0 ? setImmediate(r) : setTimeout(r, 1)));
    }
    expect(received).toHaveLength(total);
    expect(received[0]).toBe('line 0');
    expect(received[total - 1]).toBe(`line ${total - 1}`);
    expect(new Set(received).size).toBe(total);
    expect(queue.stats().dropped).toBe(0);
    // The limit plus one 4 KiB read (lines of at least 7 bytes): the tailer waited for each drain.
    expect(queue.stats().highWater).toBeLessThanOrEqual(100 + Math.ceil(4096 / 7));
  });

  it('does not read while another producer has filled the shared sink', async () => {
    const file = join(dir, 'shared.log');
    writeFileSync(file, 'f1\nf2\n');
    const queue = new BoundedLineQueue({ maxLines: 3 });
    queue.push(['t1', 't2', 't3'], { transport: 'tcp', receivedAt: 0 });
    const t = await tail(queue, [file]);
    expect(queue.depth).toBe(3);
    expect(drain(queue)).toEqual(['t1', 't2', 't3']);
    await new Promise((r) => setImmediate(r)); // the drain wakes the tailer
    await t.pollNow();
    expect(drain(queue)).toEqual(['f1', 'f2']);
    expect(queue.stats().dropped).toBe(0);
  });

  it('bounds a line that never ends, truncating it once its newline comes', async () => {
    const file = join(dir, 'junk.log');
    writeFileSync(file, 'x'.repeat(1024 * 1024));
    const queue = new BoundedLineQueue();
    const t = await tail(queue, [file], { maxMessageBytes: 1024 });
    expect(queue.depth).toBe(0);
    appendFileSync(file, '\nok\n');
    await t.pollNow();
    const lines = drain(queue);
    expect(lines).toEqual(['x'.repeat(1024), 'ok']);
    expect(t.stats().counters.truncated).toBe(1);
  });
});
