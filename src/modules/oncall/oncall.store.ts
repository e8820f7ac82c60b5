import type { Selectable } from 'kysely';
import type { Db } from '../../core/db/database.ts';

export interface SchedulesTable {
  id: string;
  name: string;
  description: string;
  time_zone: string;
  /** JSON array of ScheduleLayer, bottom to top. */
  layers: string;
  /** SHA-256 (hex) of the calendar feed key, or null when no feed key was issued. */
  calendar_key_hash: string | null;
  /** 1 while a coverage-gap signal is firing for this schedule. */
  gap_firing: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface OverridesTable {
  id: string;
  schedule_id: string;
  user_id: string;
  starts_at: string;
  ends_at: string;
  reason: string;
  created_at: string;
  created_by: string;
}

export interface UserFeedsTable {
  user_id: string;
  key_hash: string;
  created_at: string;
}

export type ScheduleRow = Selectable<SchedulesTable>;
export type OverrideRow = Selectable<OverridesTable>;

declare module '../../core/db/tables.ts' {
  interface Tables {
    oncall_schedules: SchedulesTable;
    oncall_overrides: OverridesTable;
    oncall_user_feeds: UserFeedsTable;
  }
}

/** The on-call module's only access to its tables. */
export const oncallStore = {
  listSchedules: (db: Db): Promise<ScheduleRow[]> =>
    db.selectFrom('oncall_schedules').selectAll().orderBy('name').orderBy('id').execute(),
  schedule: (db: Db, id: string): Promise<ScheduleRow | undefined> =>
    db.selectFrom('oncall_schedules').selectAll().where('id', '=', id).executeTakeFirst(),
  scheduleByKeyHash: (db: Db, hash: string): Promise<ScheduleRow | undefined> =>
    db.selectFrom('oncall_schedules').selectAll().where('calendar_key_hash', '=', hash).executeTakeFirst(),
  insertSchedule: async (db: Db, row: ScheduleRow): Promise<void> =>
    void (await db.insertInto('oncall_schedules').values(row).execute()),
  updateSchedule: async (db: Db, id: string, patch: Partial<Omit<ScheduleRow, 'id'>>): Promise<void> =>
    void (await db.updateTable('oncall_schedules').set(patch).where('id', '=', id).execute()),
  deleteSchedule: async (db: Db, id: string): Promise<void> => {
    await db.deleteFrom('oncall_overrides').where('schedule_id', '=', id).execute();
    await db.deleteFrom('oncall_schedules').where('id', '=', id).execute();
  },
  /** Overrides of the given schedules that end after `after`, in creation order. */
  overrides: (db: Db, scheduleIds: readonly string[], after: string): Promise<OverrideRow[]> =>
    scheduleIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('oncall_overrides')
          .selectAll()
          .where('schedule_id', 'in', scheduleIds)
          .where('ends_at', '>', after)
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
  override: (db: Db, scheduleId: string, id: string): Promise<OverrideRow | undefined> =>
    db.selectFrom('oncall_overrides').selectAll().where('schedule_id', '=', scheduleId).where('id', '=', id).executeTakeFirst(),
  insertOverride: async (db: Db, row: OverrideRow): Promise<void> =>
    void (await db.insertInto('oncall_overrides').values(row).execute()),
  deleteOverride: async (db: Db, id: string): Promise<void> =>
    void (await db.deleteFrom('oncall_overrides').where('id', '=', id).execute()),
  userFeedByHash: (db: Db, hash: string): Promise<UserFeedsTable | undefined> =>
    db.selectFrom('oncall_user_feeds').selectAll().where('key_hash', '=', hash).executeTakeFirst(),
  setUserFeed: async (db: Db, row: UserFeedsTable): Promise<void> => {
    await db.deleteFrom('oncall_user_feeds').where('user_id', '=', row.user_id).execute();
    await db.insertInto('oncall_user_feeds').values(row).execute();
  },
};

export interface PoliciesTable {
  id: string;
  name: string;
  description: string;
  /** JSON array of EscalationLevel. */
  levels: string;
  /** How many more times the whole policy runs when nobody acknowledged after the last level. */
  repeat: number;
  /** JSON PolicyMatch. */
  match: string;
  is_default: number;
  created_at: string;
  updated_at: string;
}

export interface ChannelsTable {
  id: string;
  name: string;
  kind: string;
  /** JSON of the channel configuration without its secret fields. */
  config: string;
  /** The secret fields as JSON, sealed with the data directory's secrets key (null when there are none). */
  secrets: string | null;
  /** 1: a channel people can be paged through (e-mail, SMS) and the default for people without their own order. */
  for_users: number;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export interface ContactsTable {
  user_id: string;
  email: string | null;
  phone: string | null;
  /** JSON array of channel ids, in the order to try. */
  channels: string;
  updated_at: string;
}

export interface EscalationsTable {
  id: string;
  incident_id: string;
  policy_id: string;
  summary: string;
  severity: string;
  /** Index of the level paged last. */
  level: number;
  round: number;
  state: 'active' | 'stopped' | 'exhausted';
  /** When the next level is due (null when not active). */
  next_at: string | null;
  stop_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface OutboxTable {
  id: string;
  escalation_id: string;
  incident_id: string;
  round: number;
  level: number;
  /** `user:<id>` or `channel:<id>`. */
  recipient: string;
  recipient_name: string;
  /** JSON array of channel ids to try in order (fallback). */
  channels: string;
  channel_index: number;
  state: 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: string;
  /** While `sending`: until when this process holds the page; after that another engine may take it over. */
  lease_until: string | null;
  receipt: string | null;
  last_error: string | null;
  sent_channel: string | null;
  ack_used_at: string | null;
  created_at: string;
  sent_at: string | null;
}

export type PolicyRow = Selectable<PoliciesTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type ContactRow = Selectable<ContactsTable>;
export type EscalationRow = Selectable<EscalationsTable>;
export type OutboxRow = Selectable<OutboxTable>;

declare module '../../core/db/tables.ts' {
  interface Tables {
    oncall_policies: PoliciesTable;
    oncall_channels: ChannelsTable;
    oncall_contacts: ContactsTable;
    oncall_escalations: EscalationsTable;
    oncall_outbox: OutboxTable;
  }
}
