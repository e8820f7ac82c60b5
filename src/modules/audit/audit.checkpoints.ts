import type { KeyObject } from 'node:crypto';
import { type Clock, iso } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { type SigningKey, signCheckpoint, verifyCheckpointSignature } from './audit.keys.ts';
import {
  type Checkpoint,
  checkpointAtOrBefore,
  committedSize,
  insertCheckpoint,
  latestCheckpoint,
  readLeaves,
} from './audit.store.ts';
import { MerkleFrontier } from './merkle.ts';

/**
 * The frontier stored with a checkpoint, if it is the one the signature vouches for: the signature must
 * verify and the frontier must fold to the signed root. The frontier itself is not signed, but a frontier
 * that folds to a signed root is as good as signed (SHA-256 collision resistance).
 */
export function trustedFrontier(cp: Checkpoint, publicKey: KeyObject): MerkleFrontier | null {
  if (!verifyCheckpointSignature(publicKey, cp)) return null;
  try {
    const f = MerkleFrontier.fromHex(cp.treeSize, cp.frontier);
    return f.root().toString('hex') === cp.root ? f : null;
  } catch {
    return null;
  }
}

/**
 * The frontier of the tree over the first `size` entries: from the nearest checkpoint at or below `size`,
 * extended with the stored leaves after it (at most one checkpoint interval is read).
 */
export async function frontierAt(db: Db, size: number, publicKey: KeyObject): Promise<MerkleFrontier> {
  const base = await checkpointAtOrBefore(db, size);
  let f = MerkleFrontier.empty();
  if (base) {
    const trusted = trustedFrontier(base, publicKey);
    if (!trusted)
      throw new AppError(
        'internal',
        'audit_checkpoint_corrupt',
        `checkpoint ${base.treeSize} does not verify; run the audit verification`,
      );
    f = trusted;
  }
  for await (const leaves of readLeaves(db, f.size, size)) for (const l of leaves) f.push(l);
  return f;
}

export interface CheckpointerOptions {
  database: Database;
  clock: Clock;
  log: Logger;
  key: SigningKey;
  /** Checkpoint after this many new entries… */
  every: number;
  /** …or after this many seconds when there are new entries. */
  seconds: number;
}

/**
 * Makes signed checkpoints: after `every` appended entries, every `seconds` when there is anything new, on
 * demand (export, proofs) and once more at stop. Each checkpoint extends the previous checkpoint's frontier
 * with the leaves after it. Several processes may make the same checkpoint at once (PostgreSQL): the
 * tree size is the primary key and the loser's insert is ignored; both computed the same root.
 */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  #pending = 0;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<Checkpoint | null> | null = null;
  #again = false;
  #stopped = false;

  constructor(o: CheckpointerOptions) {
    this.#o = o;
  }

  /** Start the periodic trigger (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#trigger(), this.#o.seconds * 1000);
    this.#timer.unref();
  }

  /** Count committed entries; reaching `every` triggers a checkpoint in the background. */
  noteCommitted(count: number): void {
    this.#pending += count;
    if (this.#pending >= this.#o.every) this.#trigger();
  }

  /** Stop the timer, wait for a running checkpoint, and make the final one. */
  async stop(): Promise<Checkpoint | null> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#stopped = true;
    while (this.#running) await this.#running.catch(() => null);
    try {
      return await this.#make();
    } catch (e) {
      // Shutting down must not fail on a log someone tampered with; verification reports it.
      this.#o.log.error({ err: e }, 'final audit checkpoint failed');
      return null;
    }
  }

  /**
   * Make a checkpoint over everything committed now, unless the latest checkpoint already covers it.
   * Resolves with the checkpoint that covers the log (new or latest), or null for an empty log.
   */
  async checkpointNow(): Promise<Checkpoint | null> {
    while (this.#running) await this.#running.catch(() => null);
    const run = this.#make();
    this.#running = run;
    try {
      return await run;
    } finally {
      if (this.#running === run) this.#running = null;
    }
  }

  #trigger(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const run = this.#make();
    this.#running = run;
    run
      .catch((e: unknown) => this.#o.log.error({ err: e }, 'audit checkpoint failed'))
      .finally(() => {
        if (this.#running === run) this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.#trigger();
        }
      });
  }

  async #make(): Promise<Checkpoint | null> {
    const { database, clock, key } = this.#o;
    const db = database.db;
    this.#pending = 0;
    const [latest, size] = await Promise.all([latestCheckpoint(db), committedSize(db)]);
    if (latest && latest.treeSize >= size) {
      if (latest.treeSize > size)
        this.#o.log.error({ checkpoint: latest.treeSize, entries: size }, 'audit log is shorter than its latest checkpoint');
      return latest;
    }
    if (size === 0) return null;
    let f = MerkleFrontier.empty();
    if (latest) {
      const trusted = trustedFrontier(latest, key.publicKey);
      // Never extend a tree we cannot vouch for: the signature would launder whatever was changed.
      if (!trusted)
        throw new AppError(
          'internal',
          'audit_checkpoint_corrupt',
          `latest checkpoint ${latest.treeSize} does not verify; run the audit verification`,
        );
      f = trusted;
    }
    for await (const leaves of readLeaves(db, f.size, size)) for (const l of leaves) f.push(l);
    const root = f.root().toString('hex');
    const ts = iso(clock.now());
    const cp: Checkpoint = {
      treeSize: size,
      root,
      ts,
      keyId: key.keyId,
      signature: signCheckpoint(key, size, root, ts),
      frontier: f.toHex(),
    };
    await insertCheckpoint(db, cp);
    return cp;
  }
}
