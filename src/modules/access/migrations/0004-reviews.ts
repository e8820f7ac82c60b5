import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Access reviews (issue 6 items 6–7; P7, NIS2 2024/2690 11.2.3 and 11.3.3): policies say what is reviewed how often
 * and by whom; a campaign freezes its scope as entries (snapshots of the facts at its start), collects one decision
 * per entry, reminds and escalates, and once closed is locked evidence. Times are ISO 8601 UTC text; JSON is text.
 */
export const m0004Reviews: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('access_review_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      // logical (grants and accounts on systems) | physical (site grants)
      .addColumn('scope', 'text', (c) => c.notNull())
      // 1: only privileged grants (the separate privileged-account review of 11.3.3)
      .addColumn('privileged_only', 'integer', (c) => c.notNull().defaultTo(0))
      // JSON arrays of system ids (logical) or site ids (physical); empty = all
      .addColumn('system_ids', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('site_ids', 'text', (c) => c.notNull().defaultTo('[]'))
      // 3 = quarterly, 6 = half-yearly, 12 = yearly
      .addColumn('interval_months', 'integer', (c) => c.notNull())
      .addColumn('due_days', 'integer', (c) => c.notNull())
      // Days before the due date when reviewers with undecided entries are reminded
      .addColumn('remind_days', 'integer', (c) => c.notNull())
      // system-owner | manager
      .addColumn('reviewer_rule', 'text', (c) => c.notNull())
      .addColumn('inactive_days', 'integer', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      // When the sweep starts the next campaign (null: only by hand)
      .addColumn('next_run_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_campaigns')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('policy_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      // JSON: the policy's settings and the systems/sites in scope, frozen at the start
      .addColumn('scope', 'text', (c) => c.notNull())
      // open | closed (closed = locked)
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('started_by', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      // actor reference of who closed (and so locked) it
      .addColumn('locked_by', 'text')
      // Given when closed with undecided entries
      .addColumn('close_reason', 'text')
      // The policy's previous closed campaign, against which "new" and "changed" are flagged
      .addColumn('previous_id', 'text')
      .addColumn('overdue_signalled', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('access_campaigns_policy').on('access_campaigns').columns(['policy_id', 'started_at']).execute();
    await db.schema
      .createTable('access_campaign_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      // Order within the campaign (by system/site, then person)
      .addColumn('seq', 'integer', (c) => c.notNull())
      // What is reviewed, stable between campaigns: `grant:<person>:<system>`, `account:<system>:<name>`, `site:<person>:<site>`
      .addColumn('subject_key', 'text', (c) => c.notNull())
      // JSON: person, system/site, level, privileged, grant id, account, last use … as they were at the start
      .addColumn('facts', 'text', (c) => c.notNull())
      // JSON array: orphaned | inactive | excessive | leaver | new | changed | no-grant
      .addColumn('flags', 'text', (c) => c.notNull())
      .addColumn('reviewer_id', 'text')
      // Set when the entry went overdue: the reviewer's manager, who may decide it too
      .addColumn('escalated_to', 'text')
      // keep | revoke | reduce | defer (null while undecided; escalate reassigns and stays undecided)
      .addColumn('decision', 'text')
      .addColumn('reason', 'text')
      .addColumn('reduce_to', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_by_name', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('overdue', 'integer', (c) => c.notNull().defaultTo(0))
      // 1 when the campaign was closed (with a reason) while this entry was undecided
      .addColumn('undecided_at_close', 'integer', (c) => c.notNull().defaultTo(0))
      // JSON: what the decision changed (grant ended, new grant, removal task, reassignment history)
      .addColumn('result', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('access_campaign_entries_campaign')
      .on('access_campaign_entries')
      .columns(['campaign_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('access_campaign_entries_reviewer')
      .on('access_campaign_entries')
      .columns(['reviewer_id', 'decision'])
      .execute();
    await db.schema
      .createTable('access_review_reminders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      // reminder (before the due date) | escalation (overdue, to the reviewer's manager)
      .addColumn('kind', 'text', (c) => c.notNull())
      // The person reminded, and the reviewer whose entries it is about
      .addColumn('to_person_id', 'text', (c) => c.notNull())
      .addColumn('about_person_id', 'text', (c) => c.notNull())
      .addColumn('entries', 'integer', (c) => c.notNull())
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('access_review_reminders_campaign')
      .on('access_review_reminders')
      .columns(['campaign_id', 'kind', 'to_person_id'])
      .execute();
  },
  /** Drops what `up` created, newest first (the indexes go with their tables). */
  async down(db) {
    for (const table of ['access_review_reminders', 'access_campaign_entries', 'access_campaigns', 'access_review_policies'])
      await db.schema.dropTable(table).execute();
  },
};
