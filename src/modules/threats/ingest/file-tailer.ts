import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../../core/logger.ts';
import { MAX_MESSAGE_BYTES, SyslogFramer } from './framing.ts';
import { newCounters, SampleRing, type IngestSample, type TransportCounters } from './ingest-stats.ts';
import type { LineSink } from './line-sink.ts';

export interface FileTailerOptions {
  /** Files to follow, exact paths (no globs). Rotated siblings (`.1`, `.gz`) are never read. */
  paths: string[];
  sink: LineSink;
  /** Where offsets persist, e.g. `<dataDir>/threats/offsets.json` (written atomically: temp file + rename). */
  statePath: string;
  /** Where to begin in a file seen for the first time (no stored offset). Default `beginning`. */
  startAt?: 'beginning' | 'end';
  /** Fallback poll when fs.watch misses an event (NFS, some containers). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Offsets are written at most this often while lines flow, and always on stop. Default 5000 ms. */
  persistIntervalMs?: number;
  maxMessageBytes?: number;
  /** Bytes per read; reads per file per pass are capped at 16 of these so one busy file cannot starve the rest. */
  readChunkBytes?: number;
  log: Logger;
  now?: () => number;
}

export interface TailedFileState {
  path: string;
  /** Inode of the file the offset belongs to, as a decimal string (64-bit inodes do not fit a double). */
  inode: string;
  /** Byte offset just after the last complete line handed to the sink. */
  offset: number;
}

export interface FileTailerStats {
  counters: TransportCounters;
  /** Renames (logrotate `create`) and truncations (`copytruncate`) followed. */
  rotations: number;
  truncations: number;
  files: TailedFileState[];
  samples: IngestSample[];
}

interface Tracked {
  path: string;
  fh: FileHandle | undefined;
  inode: bigint;
  /** Next byte to read from `fh`. */
  readOffset: number;
  framer: SyslogFramer;
  /** Offset from the state file, used once when the file is first opened (if its inode still matches). */
  resume: { inode: bigint; offset: number } | undefined;
  /** The file existed when we started: `startAt` applies to it. Files that appear later are read from 0. */
  firstOpen: boolean;
}

const MAX_READS_PER_PASS = 16;

type ReadResult = 'eof' | 'more' | 'blocked';

/**
 * Follows log files like `tail -F`, with offsets that survive a restart. New bytes are framed into lines (LF/CRLF/NUL;
 * a partial last line waits for its newline, bounded by the message limit) and pushed to the sink; while the sink is
 * full nothing is read. Rotation: a new inode at the path means the old file is read to its end (its unfinished last
 * line delivered) before the new one is read from 0; a file shorter than our offset was truncated in place
 * (`copytruncate`) and is read again from 0. Offsets `{ path, inode, offset }` persist atomically; on start a file
 * resumes at its stored offset when the inode matches, starts at 0 when it changed (rotated while we were down), and
 * honours `startAt` when it was never seen. Known gaps: lines appended to a rotated file after we switched, or to a
 * file rotated while we were stopped, are not read; a truncation followed by regrowth past our offset between two
 * polls goes unnoticed (fs.watch makes that window small).
 */
export class FileTailer {
  readonly #opts: Required<Omit<FileTailerOptions, 'now' | 'log'>> & { log: Logger; now: () => number };
  readonly #files: Tracked[];
  readonly #counters = newCounters();
  readonly #samples: SampleRing;
  readonly #buf: Buffer;
  #rotations = 0;
  #truncations = 0;
  #blocked = false;
  #stopped = false;
  #running: Promise<void> | undefined;
  #again = false;
  #dirty = false;
  #lastPersist = 0;
  #timer: NodeJS.Timeout | undefined;
  #watchers: FSWatcher[] = [];
  #unsubscribe: (() => void) | undefined;

  constructor(opts: FileTailerOptions) {
    this.#opts = {
      startAt: 'beginning',
      pollIntervalMs: 1000,
      persistIntervalMs: 5000,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      readChunkBytes: 64 * 1024,
      now: Date.now,
      ...opts,
    };
    this.#samples = new SampleRing(32, this.#opts.now);
    this.#buf = Buffer.allocUnsafe(this.#opts.readChunkBytes);
    this.#files = [...new Set(opts.paths)].map((path) => ({
      path,
      fh: undefined,
      inode: 0n,
      readOffset: 0,
      framer: new SyslogFramer({
        maxMessageBytes: this.#opts.maxMessageBytes,
        counters: this.#counters,
        samples: this.#samples,
        transport: 'file',
        peer: path,
      }),
      resume: undefined,
      firstOpen: true,
    }));
  }

  /** Loads stored offsets, reads what is there, then follows changes (fs.watch on each directory plus polling). */
  async start(): Promise<void> {
    const stored = await this.#loadState();
    for (const f of this.#files) {
      const s = stored.get(f.path);
      if (s) f.resume = s;
    }
    this.#unsubscribe = this.#opts.sink.onDrain(() => {
      this.#blocked = false;
      this.#kick();
    });
    for (const dir of new Set(this.#files.map((f) => dirname(f.path)))) {
      const names = new Set(this.#files.filter((f) => dirname(f.path) === dir).map((f) => basename(f.path)));
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.#kick();
        });
        w.on('error', (err) => {
          this.#opts.log.debug({ err, dir }, 'fs.watch failed; polling only');
          w.close();
        });
        this.#watchers.push(w);
      } catch (err) {
        this.#opts.log.debug({ err, dir }, 'fs.watch unavailable; polling only');
      }
    }
    this.#timer = setInterval(() => this.#kick(), this.#opts.pollIntervalMs);
    this.#timer.unref();
    await this.pollNow();
  }

  /** Reads every file now, until all are at their end or the sink is full (after any pass in progress). */
  async pollNow(): Promise<void> {
    do {
      while (this.#running) await this.#running;
      this.#again = false;
      this.#running = this.#pass().finally(() => (this.#running = undefined));
      await this.#running;
    } while (this.#again && !this.#blocked && !this.#stopped);
  }

  /** Stops following, waits for the pass in progress, writes the offsets and closes the files. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    this.#unsubscribe?.();
    while (this.#running) await this.#running;
    await this.#persist();
    for (const f of this.#files) {
      await f.fh?.close();
      f.fh = undefined;
    }
  }

  stats(): FileTailerStats {
    return {
      counters: { ...this.#counters, dropped: { ...this.#counters.dropped } },
      rotations: this.#rotations,
      truncations: this.#truncations,
      files: this.#snapshot(),
      samples: this.#samples.list(),
    };
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped && !this.#blocked) {
        this.#again = false;
        // Yield to I/O between passes: a file with more to read must not monopolise the loop.
        setImmediate(() => this.#kick());
      }
    });
  }

  async #pass(): Promise<void> {
    for (const f of this.#files) {
      if (this.#blocked || this.#stopped) break;
      try {
        if ((await this.#follow(f)) === 'more') this.#again = true;
      } catch (err) {
        this.#counters.errors++;
        this.#opts.log.warn({ err, path: f.path }, 'tailing failed; will retry');
        await f.fh?.close().catch(() => undefined);
        f.fh = undefined;
      }
    }
    if (this.#dirty && this.#opts.now() - this.#lastPersist >= this.#opts.persistIntervalMs) await this.#persist();
  }

  async #follow(f: Tracked): Promise<ReadResult> {
    const st = await stat(f.path, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (f.fh && (!st || st.ino !== f.inode)) {
      // Renamed or deleted: the old inode may still hold lines we have not read. Finish it, then switch.
      const r = await this.#read(f);
      if (r !== 'eof') return r;
      this.#endFrame(f);
      await f.fh.close();
      f.fh = undefined;
      this.#counters.connections--;
      this.#rotations++;
      this.#dirty = true;
    }
    if (!f.fh) {
      if (!st) {
        // Appears later: everything in it is new, whatever `startAt` says.
        f.firstOpen = false;
        return 'eof';
      }
      f.fh = await open(f.path, 'r');
      this.#counters.connections++;
      this.#counters.connectionsTotal++;
      f.inode = st.ino;
      const size = Number(st.size);
      if (f.resume) {
        f.readOffset = f.resume.inode === st.ino && f.resume.offset <= size ? f.resume.offset : 0;
      } else {
        f.readOffset = f.firstOpen && this.#opts.startAt === 'end' ? size : 0;
      }
      f.resume = undefined;
      f.firstOpen = false;
      this.#dirty = true;
    }
    const { size } = await f.fh.stat();
    if (size < f.readOffset) {
      // copytruncate: the content we read was copied away and the file emptied in place.
      this.#endFrame(f);
      f.readOffset = 0;
      this.#truncations++;
      this.#dirty = true;
    }
    return this.#read(f);
  }

  async #read(f: Tracked): Promise<ReadResult> {
    const fh = f.fh!;
    for (let n = 0; n < MAX_READS_PER_PASS; n++) {
      // The sink is shared: another producer may have filled it since our last push.
      if (this.#blocked || this.#opts.sink.isFull()) {
        this.#blocked = true;
        return 'blocked';
      }
      if (this.#stopped) return 'more';
      const { bytesRead } = await fh.read(this.#buf, 0, this.#buf.length, f.readOffset);
      if (bytesRead === 0) return 'eof';
      f.readOffset += bytesRead;
      this.#counters.bytesRead += bytesRead;
      this.#dirty = true;
      const lines: string[] = [];
      f.framer.push(bytesRead === this.#buf.length ? this.#buf : this.#buf.subarray(0, bytesRead), lines);
      this.#deliver(f, lines);
    }
    return 'more';
  }

  #endFrame(f: Tracked): void {
    const lines: string[] = [];
    f.framer.end(lines);
    this.#deliver(f, lines);
  }

  #deliver(f: Tracked, lines: string[]): void {
    if (lines.length === 0) return;
    if (!this.#opts.sink.push(lines, { transport: 'file', file: f.path, receivedAt: this.#opts.now() })) this.#blocked = true;
  }

  #snapshot(): TailedFileState[] {
    const out: TailedFileState[] = [];
    for (const f of this.#files) {
      if (f.fh) out.push({ path: f.path, inode: f.inode.toString(), offset: f.readOffset - f.framer.pendingBytes });
      else if (f.resume) out.push({ path: f.path, inode: f.resume.inode.toString(), offset: f.resume.offset });
    }
    return out;
  }

  async #persist(): Promise<void> {
    const path = this.#opts.statePath;
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify({ version: 1, files: this.#snapshot() }, null, 2) + '\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      this.#dirty = false;
      this.#lastPersist = this.#opts.now();
    } catch (err) {
      this.#counters.errors++;
      this.#opts.log.warn({ err, path }, 'could not save file offsets');
    }
  }

  async #loadState(): Promise<Map<string, { inode: bigint; offset: number }>> {
    const out = new Map<string, { inode: bigint; offset: number }>();
    let text: string;
    try {
      text = await readFile(this.#opts.statePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#opts.log.warn({ err }, 'could not read file offsets');
      return out;
    }
    try {
      const doc = JSON.parse(text) as { files?: unknown };
      for (const e of Array.isArray(doc.files) ? (doc.files as unknown[]) : []) {
        if (typeof e !== 'object' || e === null) continue;
        const { path, inode, offset } = e as Record<string, unknown>;
        if (typeof path !== 'string' || typeof inode !== 'string' || !/^[0-9]{1,20}$/.test(inode)) continue;
        if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) continue;
        out.set(path, { inode: BigInt(inode), offset });
      }
    } catch (err) {
      this.#opts.log.warn({ err, path: this.#opts.statePath }, 'file offsets unreadable; starting over');
    }
    return out;
  }
}
