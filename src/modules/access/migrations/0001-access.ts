import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * People, systems, the privileged list and logical grants (issue 6 items 1–2). Times are ISO 8601 UTC text; JSON is
 * text. A grant keeps who asked, who approved (and who approved second, for a privileged level), why, and when it
 * started and ends; ended grants stay as evidence.
 */
export const m0001Access: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('access_people')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      // Unique when present: imports match accounts and badges to people by e-mail and by identifiers
      .addColumn('email', 'text', (c) => c.unique())
      // employee | contractor
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('team', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('manager_id', 'text')
      // active | left
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('left_at', 'text')
      // The Skjold user this person signs in as, if any (reviewers find their work list through it)
      .addColumn('user_id', 'text', (c) => c.unique())
      // JSON array of lower-case account names this person uses on systems (`alice`, `adm-alice`, `CORP\\alice`)
      .addColumn('identifiers', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_systems')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      // server | control-panel | database | network | saas | other
      .addColumn('kind', 'text', (c) => c.notNull())
      // management | customer | other
      .addColumn('classification', 'text', (c) => c.notNull())
      // The person who owns the system and reviews its access
      .addColumn('owner_id', 'text')
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      // JSON AccessLevel[]: the levels a grant may name, each privileged or not
      .addColumn('levels', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_privileged')
      .addColumn('person_id', 'text', (c) => c.primaryKey())
      .addColumn('reason', 'text', (c) => c.notNull())
      // actor reference (`user:<id>`) of who put the person on the list
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull())
      .addColumn('system_id', 'text', (c) => c.notNull())
      .addColumn('level', 'text', (c) => c.notNull())
      // 1 when the level was privileged when the grant was made (four eyes, privileged list)
      .addColumn('privileged', 'integer', (c) => c.notNull())
      // Just-in-time access: its length in hours (0 = not JIT); it expires by itself that long after it starts
      .addColumn('jit', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('justification', 'text', (c) => c.notNull())
      // Actor references (`user:<id>`, `token:<id>`, `system:<name>`) and, beside each, the name people read
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('requested_by_name', 'text')
      // Approvers are recorded as the human behind the call (`user:<id>`, also when they used an API token)
      .addColumn('approved_by', 'text')
      .addColumn('approved_by_name', 'text')
      .addColumn('approved_at', 'text')
      // The second approver of a privileged grant: never the same user as the first, never the grantee's own user
      .addColumn('second_approved_by', 'text')
      .addColumn('second_approved_by_name', 'text')
      .addColumn('second_approved_at', 'text')
      // pending | active | expired | revoked | rejected
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('ended_at', 'text')
      .addColumn('ended_by', 'text')
      .addColumn('end_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // A grant's history as people read it (the audit log holds the same changes, hash-chained)
    await db.schema
      .createTable('access_grant_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      // 1, 2, 3 … within the grant: several steps share a time (an approval that activates)
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      // requested | approved | second-approved | activated | amended | rejected | revoked | expired | reduced
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('actor_name', 'text')
      .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema
      .createIndex('access_grant_events_grant')
      .on('access_grant_events')
      .columns(['grant_id', 'seq'])
      .unique()
      .execute();
    await db.schema.createIndex('access_grants_person').on('access_grants').columns(['person_id', 'state']).execute();
    await db.schema.createIndex('access_grants_system').on('access_grants').columns(['system_id', 'state']).execute();
    await db.schema.createIndex('access_grants_expiry').on('access_grants').columns(['state', 'expires_at']).execute();
  },
  /** Drops what `up` created, newest first (the indexes go with their tables). */
  async down(db) {
    for (const table of ['access_grant_events', 'access_grants', 'access_privileged', 'access_systems', 'access_people'])
      await db.schema.dropTable(table).execute();
  },
};
