import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Monitors, raw results, hourly/daily rollups, state transitions (deviations), pauses and the daily completeness
 * record. Times are ISO 8601 UTC text. Every result and rollup carries a `location` (`local` for the engine itself)
 * so that remote probes can later report results for the same monitor side by side.
 */
export const m0001Monitoring: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('monitoring_monitors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      // The validated definition (JSON); the columns below duplicate what the scheduler and lists need.
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('interval_s', 'integer', (c) => c.notNull())
      .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
      // Heartbeat monitors only: sha256 of the secret URL token.
      .addColumn('heartbeat_token_hash', 'text', (c) => c.unique())
      .addColumn('last_heartbeat_at', 'text')
      // Locations (JSON array) and how many of them must fail: ready for remote probes.
      .addColumn('locations', 'text', (c) => c.notNull().defaultTo('["local"]'))
      .addColumn('quorum', 'integer', (c) => c.notNull().defaultTo(1))
      // unknown | up | down, with the streak counters behind the thresholds.
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('unknown'))
      .addColumn('state_changed_at', 'text')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('consecutive_successes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_check_at', 'text')
      .addColumn('last_ok', 'integer')
      .addColumn('last_response_ms', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('monitoring_results')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('location', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('response_ms', 'integer')
      // Short reason of a failure (bounded); null when ok.
      .addColumn('error', 'text')
      .execute();
    await db.schema.createIndex('monitoring_results_monitor_at').on('monitoring_results').columns(['monitor_id', 'at']).execute();
    await db.schema.createIndex('monitoring_results_at').on('monitoring_results').columns(['at']).execute();

    await db.schema
      .createTable('monitoring_rollups')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('location', 'text', (c) => c.notNull())
      // hour | day
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('start', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('min_ms', 'integer')
      .addColumn('avg_ms', 'integer')
      .addColumn('max_ms', 'integer')
      .addColumn('p95_ms', 'integer')
      .addPrimaryKeyConstraint('monitoring_rollups_pk', ['monitor_id', 'location', 'bucket', 'start'])
      .execute();
    await db.schema
      .createIndex('monitoring_rollups_bucket_start')
      .on('monitoring_rollups')
      .columns(['bucket', 'start'])
      .execute();

    await db.schema
      .createTable('monitoring_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('from_state', 'text', (c) => c.notNull())
      .addColumn('to_state', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      // The signal and incident the transition was registered as (P16); null only for unknown → up.
      .addColumn('signal_id', 'text')
      .addColumn('incident_id', 'text')
      .execute();
    await db.schema.createIndex('monitoring_events_monitor_at').on('monitoring_events').columns(['monitor_id', 'at']).execute();

    await db.schema
      .createTable('monitoring_pauses')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('from_at', 'text', (c) => c.notNull())
      .addColumn('to_at', 'text')
      .execute();
    await db.schema.createIndex('monitoring_pauses_monitor').on('monitoring_pauses').columns(['monitor_id']).execute();

    await db.schema
      .createTable('monitoring_completeness')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      // YYYY-MM-DD (UTC)
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('expected', 'integer', (c) => c.notNull())
      .addColumn('executed', 'integer', (c) => c.notNull())
      .addColumn('deviations', 'integer', (c) => c.notNull())
      .addColumn('registered', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_completeness_pk', ['monitor_id', 'day'])
      .execute();

    // Rollup watermarks (name → ISO time up to which work is final).
    await db.schema
      .createTable('monitoring_jobs')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('done_until', 'text', (c) => c.notNull())
      .execute();
  },
};
