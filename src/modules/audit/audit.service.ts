import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import { AppError, notFound } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { Checkpointer } from './audit.checkpoints.ts';
import { exportAuditLog, type ExportRange } from './audit.export.ts';
import { type SigningKey, loadOrCreateSigningKey } from './audit.keys.ts';
import { type InclusionProof, proveConsistency, proveInclusion } from './audit.proofs.ts';
import { type AuditEntryView, type AuditSearch, getEntry, searchEntries, viewOf } from './audit.search.ts';
import { type Checkpoint, checkpointOfSize, latestCheckpoint, listCheckpoints } from './audit.store.ts';
import { type VerifyOptions, type VerifyResult, verifyAuditLog } from './audit.verify.ts';

export interface AuditServiceDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  dataDir: string;
  checkpointEvery: number;
  checkpointSeconds: number;
}

/** A checkpoint as the API shows it (the frontier is internal). */
export type CheckpointView = Omit<Checkpoint, 'frontier'>;

const view = ({ frontier: _frontier, ...rest }: Checkpoint): CheckpointView => rest;

/**
 * The audit log's domain operations, for the routes and the CLI: search, proofs, checkpoints,
 * verification and export. `open()` loads (or creates) the signing key; `start()` also starts the
 * background checkpoints.
 */
export class AuditService {
  readonly #d: AuditServiceDeps;
  #key: SigningKey | null = null;
  #checkpointer: Checkpointer | null = null;

  constructor(d: AuditServiceDeps) {
    this.#d = d;
  }

  /** Load or create the signing key and the checkpointer, without background work. */
  open(): void {
    if (this.#key) return;
    this.#key = loadOrCreateSigningKey(this.#d.dataDir);
    this.#checkpointer = new Checkpointer({
      database: this.#d.database,
      clock: this.#d.clock,
      log: this.#d.log,
      key: this.#key,
      every: this.#d.checkpointEvery,
      seconds: this.#d.checkpointSeconds,
    });
  }

  /** Open and start the periodic checkpoints. */
  start(): void {
    this.open();
    this.checkpointer.start();
  }

  /** Stop the checkpoints and make the final one (call after the sink is flushed). */
  async stop(): Promise<void> {
    await this.#checkpointer?.stop();
  }

  get key(): SigningKey {
    if (!this.#key) throw new AppError('unavailable', 'audit_not_started', 'the audit module has not started');
    return this.#key;
  }

  get checkpointer(): Checkpointer {
    if (!this.#checkpointer) throw new AppError('unavailable', 'audit_not_started', 'the audit module has not started');
    return this.#checkpointer;
  }

  /** Count entries committed by the sink (checkpoint trigger). Ignored before start. */
  noteCommitted(count: number): void {
    this.#checkpointer?.noteCommitted(count);
  }

  search(f: AuditSearch): Promise<{ items: AuditEntryView[]; nextCursor: number | null }> {
    return searchEntries(this.#d.database, f);
  }

  async entry(seq: number): Promise<AuditEntryView & { leaf: string }> {
    const e = await getEntry(this.#d.database.db, seq);
    if (!e) throw notFound('audit_entry_not_found', `there is no audit entry ${seq}`);
    return { ...viewOf(e.seq, e.entry), leaf: e.leaf.toString('hex') };
  }

  /**
   * Inclusion proof against checkpoint `treeSize`, or by default against the latest checkpoint (made now if
   * the latest does not cover the entry yet). Cost: the leaves from the entry to that checkpoint are read.
   */
  async inclusion(seq: number, treeSize?: number): Promise<InclusionProof & { entry: string; checkpoint: CheckpointView }> {
    const db = this.#d.database.db;
    const e = await getEntry(db, seq);
    if (!e) throw notFound('audit_entry_not_found', `there is no audit entry ${seq}`);
    let cp: Checkpoint | null | undefined;
    if (treeSize !== undefined) {
      cp = await checkpointOfSize(db, treeSize);
      if (!cp) throw notFound('audit_checkpoint_not_found', `there is no checkpoint of tree size ${treeSize}`);
    } else {
      cp = await latestCheckpoint(db);
      if (!cp || cp.treeSize < seq) cp = await this.checkpointer.checkpointNow();
      if (!cp || cp.treeSize < seq)
        throw new AppError('unavailable', 'audit_checkpoint_unavailable', `no checkpoint covers entry ${seq} yet`);
    }
    const proof = await proveInclusion(db, this.key.publicKey, seq, cp);
    return { ...proof, entry: e.entry, checkpoint: view(cp) };
  }

  async checkpoints(cursor: number | undefined, limit: number): Promise<{ items: CheckpointView[]; nextCursor: number | null }> {
    const rows = await listCheckpoints(this.#d.database.db, { cursor, limit: limit + 1 });
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(view);
    return { items, nextCursor: more ? (items[items.length - 1]?.treeSize ?? null) : null };
  }

  async consistency(from: number, to: number): Promise<{ from: CheckpointView; to: CheckpointView; proof: string[] }> {
    const r = await proveConsistency(this.#d.database.db, this.key.publicKey, from, to);
    return { from: view(r.from), to: view(r.to), proof: r.proof };
  }

  /** Full verification with this instance's public key (never inside a request's transaction: see verifyAuditLog). */
  verify(opts?: VerifyOptions): Promise<VerifyResult> {
    return verifyAuditLog(this.#d.database, this.key.publicKey, opts);
  }

  export(range: ExportRange): ReturnType<typeof exportAuditLog> {
    return exportAuditLog(
      {
        db: this.#d.database.db,
        publicKey: this.key.publicKey,
        clock: this.#d.clock,
        checkpointNow: () => this.checkpointer.checkpointNow(),
      },
      range,
    );
  }

  publicKey(): { keyId: string; algorithm: 'Ed25519'; publicKeyPem: string } {
    return { keyId: this.key.keyId, algorithm: 'Ed25519', publicKeyPem: this.key.publicKeyPem };
  }
}
