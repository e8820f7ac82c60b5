import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Remote probes: registered probes (one per location, token hashed at rest), each monitor's streak counters per
 * location (for quorum), and the batches of results probes post. A batch is kept a day after the engine consumed it,
 * so a probe retrying a batch it already delivered is told `duplicate` instead of counting its failures twice.
 */
export const m0003Probes: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('monitoring_probes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('location', 'text', (c) => c.notNull().unique())
      // sha256 of the probe token (`skp_…`); the token itself is shown once.
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('poll_seconds', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('token_rotated_at', 'text')
      .addColumn('last_seen_at', 'text')
      .addColumn('last_ip', 'text')
      .addColumn('version', 'text')
      // 1 while the probe is silent (its signal is firing), with when that was noticed.
      .addColumn('silent', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('silent_since', 'text')
      .execute();

    await db.schema
      .createTable('monitoring_location_states')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('location', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
      .addColumn('consecutive_successes', 'integer', (c) => c.notNull())
      .addColumn('last_check_at', 'text')
      .addColumn('last_ok', 'integer')
      .addColumn('last_response_ms', 'integer')
      .addColumn('last_error', 'text')
      .addPrimaryKeyConstraint('monitoring_location_states_pk', ['monitor_id', 'location'])
      .execute();

    await db.schema
      .createTable('monitoring_probe_batches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('probe_id', 'text', (c) => c.notNull())
      // The probe's own id for the batch: a retried batch carries the same one.
      .addColumn('batch_id', 'text', (c) => c.notNull())
      .addColumn('location', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      // The validated results (JSON array), until the engine consumes them.
      .addColumn('items', 'text', (c) => c.notNull())
      .addColumn('consumed_at', 'text')
      .addUniqueConstraint('monitoring_probe_batches_probe_batch', ['probe_id', 'batch_id'])
      .execute();
    await db.schema
      .createIndex('monitoring_probe_batches_pending')
      .on('monitoring_probe_batches')
      .columns(['consumed_at', 'received_at'])
      .execute();
  },
};
