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
