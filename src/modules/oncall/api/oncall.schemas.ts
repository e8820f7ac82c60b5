import { z } from 'zod';

// Shapes and bounds here; the service checks what zod cannot (time zones, that users exist) with stable codes.

/** Printable single-line text. */
const line = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00–23:59');
const userId = z.string().min(1).max(64);
const isoTime = z.iso.datetime({ offset: true });

export const restrictionSchema = z.strictObject({
  /** ISO weekdays 1 (Monday) … 7 (Sunday) on which the window starts. */
  weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  /** `HH:MM` local start. */
  from: hhmm,
  /** `HH:MM` local end; at or before `from` runs into the next day; equal to `from` is 24 hours. */
  to: hhmm,
});

export const layerSchema = z
  .strictObject({
    /** Stable layer id (shown as a shift's source); assigned when absent. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _')
      .optional(),
    /** Display name, e.g. "Primary" or "Business hours". */
    name: line(100).min(1),
    /** User ids in rotation order. */
    users: z.array(userId).min(1).max(100),
    /** daily, weekly, every N days, or every N elapsed hours. */
    rotation: z.enum(['daily', 'weekly', 'days', 'hours']),
    /** N for `days` (1–365) and `hours` (1–720) rotations; must be 1 (or absent) for daily and weekly. */
    every: z.number().int().min(1).max(720).default(1),
    /** `HH:MM` local time of each hand-off. */
    handoffTime: hhmm,
    /** `YYYY-MM-DD` local date of the first hand-off (users[0] starts then; weekly rotations hand off on its weekday). */
    startDate: z.iso.date(),
    /** Limit the layer to a daily window on some weekdays (null: around the clock). */
    restriction: restrictionSchema.nullable().default(null),
  })
  .superRefine((l, ctx) => {
    if ((l.rotation === 'daily' || l.rotation === 'weekly') && l.every !== 1) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'every applies only to days and hours rotations' });
    }
    if (l.rotation === 'days' && l.every > 365) ctx.addIssue({ code: 'custom', path: ['every'], message: 'at most 365 days' });
  });

export const createScheduleBody = z.strictObject({
  /** Display name. */
  name: line(200).min(1),
  /** Free text for people. */
  description: line(2000).default(''),
  /** IANA time zone of hand-offs and restrictions (default: the configured core.timeZone). */
  timeZone: line(64).min(1).optional(),
  /** Layers bottom to top: a later layer wins wherever it has someone. */
  layers: z.array(layerSchema).max(20).default([]),
});
export type CreateScheduleBody = z.infer<typeof createScheduleBody>;

export const updateScheduleBody = z
  .strictObject({
    /** Display name. */
    name: line(200).min(1).optional(),
    /** Free text for people. */
    description: line(2000).optional(),
    /** IANA time zone. */
    timeZone: line(64).min(1).optional(),
    /** Replaces all layers (bottom to top). */
    layers: z.array(layerSchema).max(20).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');
export type UpdateScheduleBody = z.infer<typeof updateScheduleBody>;

/** A layer in a definition file: like `layerSchema`, but people are named by username so the file is portable. */
export const layerDefinition = layerSchema.safeExtend({
  /** Usernames in rotation order. */
  users: z.array(line(64).min(1)).min(1).max(100),
});

/** One schedule as `POST /api/v1/oncall/schedules/apply` takes it and `GET …/export` gives it; matched by name. */
export const scheduleDefinition = z.strictObject({
  /** Display name; the key that matches a definition to an existing schedule. */
  name: line(200).min(1),
  /** Free text for people. */
  description: line(2000).default(''),
  /** IANA time zone (default: the current schedule's, or core.timeZone for a new one). */
  timeZone: line(64).min(1).optional(),
  /** Layers bottom to top (replaced as a whole); a layer without an id keeps the id of the current layer of its name. */
  layers: z.array(layerDefinition).max(20).default([]),
});
export type ScheduleDefinition = z.infer<typeof scheduleDefinition>;

export const applySchedulesBody = z.strictObject({
  /** Schedule definitions; all are applied or, at the first problem, none. */
  schedules: z.array(scheduleDefinition).max(1000, 'at most 1,000 schedules per request'),
});
export type ApplySchedulesBody = z.infer<typeof applySchedulesBody>;

export const createOverrideBody = z.strictObject({
  /** Who covers. */
  userId,
  /** Start (ISO 8601 with offset). */
  startsAt: isoTime,
  /** End, exclusive (ISO 8601 with offset). */
  endsAt: isoTime,
  /** Why (e.g. "swap with Ann"). */
  reason: line(500).default(''),
});
export type CreateOverrideBody = z.infer<typeof createOverrideBody>;

export const idParams = z.strictObject({
  /** Schedule id (UUID). */
  id: z.uuid(),
});
export const userParams = z.strictObject({
  /** User id. */
  id: userId,
});
export const overrideParams = z.strictObject({
  /** Schedule id (UUID). */
  id: z.uuid(),
  /** Override id (UUID). */
  overrideId: z.uuid(),
});
export const noQuery = z.strictObject({});
export const shiftsQuery = z.strictObject({
  /** Start of the range (ISO 8601); default now. */
  from: isoTime.optional(),
  /** End of the range, exclusive (ISO 8601); default from + 14 days. At most 93 days after from. */
  to: isoTime.optional(),
});
export const feedQuery = z.strictObject({
  /** The feed's secret key. */
  key: z.string().min(1).max(200),
});
