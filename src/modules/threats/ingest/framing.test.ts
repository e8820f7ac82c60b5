import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_LENGTH } from '../events.ts';
import { MAX_MESSAGE_BYTES, readNdjson, splitLines, SyslogFramer, utf8SafeEnd } from './framing.ts';
import { SampleRing } from './ingest-stats.ts';

function frameAll(chunks: Buffer[], opts: ConstructorParameters<typeof SyslogFramer>[0] = { octetCounting: true }) {
  const framer = new SyslogFramer(opts);
  const out: string[] = [];
  for (const c of chunks) framer.push(c, out);
  framer.end(out);
  return { out, counters: framer.counters };
}

function octet(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

/** Splits `buf` at the given (sorted, deduplicated) cut points. */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of sorted) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('SyslogFramer', () => {
  it('covers the parsers: the byte limit holds MAX_LINE_LENGTH code units of any BMP text', () => {
    expect(MAX_MESSAGE_BYTES).toBeGreaterThanOrEqual(3 * MAX_LINE_LENGTH);
  });

  it('frames LF, CRLF and NUL terminated messages and skips empty ones', () => {
    const { out } = frameAll([Buffer.from('<13>one\n<13>two\r\n\n\r\n<13>three\x00<13>four')]);
    expect(out).toEqual(['<13>one', '<13>two', '<13>three', '<13>four']);
  });

  it('detects octet counting per message, keeping line breaks inside a counted frame', () => {
    const stream = octet('<34>1 2026-11-27T10:00:00Z h app - - - a\nb') + '<13>plain line\n' + octet('<13>x') + octet('<13>y');
    const { out } = frameAll([Buffer.from(stream)]);
    expect(out).toEqual(['<34>1 2026-11-27T10:00:00Z h app - - - a\nb', '<13>plain line', '<13>x', '<13>y']);
  });

  it('treats a digit run without a space as the start of a plain line, and counts a frame cut short', () => {
    const { out, counters } = frameAll([
      Buffer.from('12345\n123abc\n0 x\n200 OK\n1234567890 <13>ten digits\n5 \n' + '40 <13>too short'),
    ]);
    expect(out).toEqual(['12345', '123abc', '0 x', '200 OK', '1234567890 <13>ten digits', '5 ']);
    expect(counters.dropped.incomplete).toBe(1);
  });

  it('does not detect octet counting when it is off (files, HTTP)', () => {
    const { out } = frameAll([Buffer.from('5 hello world\n')], { octetCounting: false });
    expect(out).toEqual(['5 hello world']);
  });

  it('gives the same messages at every split point of a mixed stream', () => {
    const stream = Buffer.from(
      octet('<34>1 - h a - - - é counted') + '<13>newline é\r\n' + octet('<13>two\nlines') + '\x00<13>nul' + '\n' + '7 <13>ab\n',
    );
    const whole = frameAll([stream]).out;
    expect(whole).toEqual(['<34>1 - h a - - - é counted', '<13>newline é', '<13>two\nlines', '<13>nul', '<13>ab']);
    for (let i = 0; i <= stream.length; i++) expect(frameAll(cut(stream, [i])).out).toEqual(whole);
    expect(frameAll([...stream].map((b) => Buffer.from([b]))).out).toEqual(whole);
  });

  it('property: any chunking of any mix of framings yields the messages sent', () => {
    const message = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => '<13>' + s);
    const item = fc.record({ msg: message, counted: fc.boolean() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 12 }), (items, points) => {
        // Newline framing cannot carry terminators inside a message; octet counting can.
        const sent = items.map((m) => ({ ...m, msg: m.counted ? m.msg : m.msg.replace(/[\r\n\0]/g, ' ') }));
        const stream = Buffer.from(sent.map((m) => (m.counted ? octet(m.msg) : m.msg + '\n')).join(''));
        const expected = sent.map((m) => (m.counted ? m.msg.replace(/\r?[\n\0]$/, '') : m.msg.replace(/\r$/, '')));
        expect(frameAll(cut(stream, points)).out).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('truncates a 1 MB line without newline at the limit, counts it, and keeps memory bounded', () => {
    const samples = new SampleRing();
    const framer = new SyslogFramer({ octetCounting: true, samples });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const out: string[] = [];
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 16; i++) framer.push(chunk, out); // 1 MiB, no terminator
    for (let i = 0; i < 1024; i++) framer.push(chunk, out); // and 64 MiB more of the same line
    const grown = process.memoryUsage().arrayBuffers - before;
    framer.push(Buffer.from('\n<13>next\n'), out);
    expect(out).toHaveLength(2);
    expect(out[0]).toHaveLength(MAX_MESSAGE_BYTES);
    expect(out[1]).toBe('<13>next');
    expect(framer.counters.truncated).toBe(1);
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    expect(samples.list()[0]).toMatchObject({ reason: 'truncated', preview: 'a'.repeat(200) });
  });

  it('truncates an over-long octet frame and resumes at the next frame', () => {
    const big = '<13>' + 'x'.repeat(200);
    const { out, counters } = frameAll([Buffer.from(octet(big) + octet('<13>after'))], {
      octetCounting: true,
      maxMessageBytes: 100,
    });
    expect(out).toEqual([big.slice(0, 100), '<13>after']);
    expect(counters.truncated).toBe(1);
  });

  it('cuts on a character boundary, never manufacturing a replacement character', () => {
    const line = 'é'.repeat(100); // 200 bytes, the limit falls inside a character
    const { out, counters } = frameAll([Buffer.from(line + '\n')], { maxMessageBytes: 101 });
    expect(out).toEqual(['é'.repeat(50)]);
    expect(counters.invalidUtf8).toBe(0);
    expect(utf8SafeEnd(Buffer.from('a€'), 0, 3)).toBe(1);
    expect(utf8SafeEnd(Buffer.from('a€'), 0, 4)).toBe(4);
  });

  it('replaces invalid UTF-8 with U+FFFD and counts it, but not a genuine U+FFFD', () => {
    const samples = new SampleRing();
    const bytes = Buffer.concat([Buffer.from('<13>a'), Buffer.from([0xff, 0x62, 0xc3]), Buffer.from(' \uFFFD ok\n')]);
    const { out, counters } = frameAll([bytes], { samples });
    expect(out).toEqual(['<13>a\uFFFDb\uFFFD \uFFFD ok']);
    expect(counters.invalidUtf8).toBe(2);
    expect(samples.list()[0]?.preview).toBe('<13>a\\xffb\\xc3 \\xef\\xbf\\xbd ok');
  });

  it('fuzz: arbitrary bytes in arbitrary chunks never throw and respect the limit', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (bytes, points, octetCounting) => {
          const buf = Buffer.from(bytes);
          const opts = { octetCounting, maxMessageBytes: 64 };
          const whole = frameAll([buf], opts);
          const chunked = frameAll(cut(buf, points), opts);
          expect(chunked.out).toEqual(whole.out);
          for (const line of whole.out) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(64 * 3);
          for (const line of whole.out) expect(line.length).toBeLessThanOrEqual(64);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('splitLines', () => {
  it('splits a body with the framer limits and counts truncation', () => {
    const r = splitLines('a\r\n\nb\n' + 'c'.repeat(50), { maxMessageBytes: 20 });
    expect(r.lines).toEqual(['a', 'b', 'c'.repeat(20)]);
    expect(r.truncated).toBe(1);
  });
});

describe('readNdjson', () => {
  it('takes `line` or `message`, and reports bad rows with their line numbers', () => {
    const body = [
      '{"line":"<13>one"}',
      '{"message":"two","host":"h"}',
      '',
      'not json',
      '[1,2]',
      '{"line":5}',
      '{"line":"' + 'x'.repeat(30) + '"}',
    ].join('\n');
    const r = readNdjson(body, { maxMessageBytes: 20 });
    expect(r.lines).toEqual(['<13>one', 'two', 'x'.repeat(20)]);
    expect(r.errors).toEqual([
      { line: 4, reason: 'invalid_json' },
      { line: 5, reason: 'not_an_object' },
      { line: 6, reason: 'missing_line' },
    ]);
    expect(r.rejected).toBe(3);
    expect(r.truncated).toBe(1);
  });

  it('fuzz: arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        const r = readNdjson(Buffer.from(bytes));
        expect(r.lines.length + r.rejected).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 1000 },
    );
  });
});
