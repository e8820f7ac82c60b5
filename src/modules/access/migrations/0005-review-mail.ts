import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Review reminders by e-mail (issue 6 item 6): a durable outbox. Each reminder or escalation row gets one mail row,
 * written in the same transaction; a worker sends it over SMTP with retries and records the outcome. Reminders
 * recorded before this migration get a row saying they were never e-mailed. Times are ISO 8601 UTC text.
 */
export const m0005ReviewMail: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('access_review_mail')
      // Also the e-mail's Message-ID (<id@skjold>), the same on every attempt
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('reminder_id', 'text', (c) => c.notNull().unique())
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      .addColumn('to_person_id', 'text', (c) => c.notNull())
      // The person's address when the reminder was written; null when they had none
      .addColumn('to_address', 'text')
      // Rendered when the reminder was written (null for reminders from before this migration)
      .addColumn('subject', 'text')
      .addColumn('body_text', 'text')
      .addColumn('body_html', 'text')
      // pending | sending | sent | failed (SMTP 5xx, or attempts used up) | not_sent (no mail transport) |
      // undeliverable (the person has no valid address)
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text')
      // While sending: another worker may take the row over after this (a crash mid-send)
      .addColumn('lease_until', 'text')
      // Why it is not sent (yet): the server's reply, or the reason it was never tried
      .addColumn('last_error', 'text')
      // The server's reply when it took the message
      .addColumn('receipt', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_attempt_at', 'text')
      .addColumn('sent_at', 'text')
      .execute();
    await db.schema
      .createIndex('access_review_mail_due')
      .on('access_review_mail')
      .columns(['state', 'next_attempt_at'])
      .execute();
    await sql`
      INSERT INTO access_review_mail (id, reminder_id, campaign_id, to_person_id, state, attempts, last_error, created_at)
      SELECT id, id, campaign_id, to_person_id, 'not_sent', 0, 'recorded before reminders were e-mailed', sent_at
      FROM access_review_reminders
    `.execute(db);
  },
  async down(db) {
    // The reminders stay; only where their e-mail stood is lost.
    await db.schema.dropTable('access_review_mail').execute();
  },
};
