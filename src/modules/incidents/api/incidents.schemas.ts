import { z } from 'zod';

// Bounds here keep hostile input small; the services apply the rules zod cannot express, with stable codes.

const severity = z.enum(['critical', 'major', 'minor', 'info']);
const isoTime = z.iso.datetime({ offset: true });
const day = z.iso.date();
/** Printable single-line text (no control characters: they would forge lines in logs and exports). */
const line = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
/** Multi-line text: newlines and tabs allowed. */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'no control characters');

export const idParams = z.strictObject({
  /** The id (UUID). */
  id: z.uuid(),
});
export type IdParams = z.infer<typeof idParams>;

export const listIncidentsQuery = z.strictObject({
  /** triggered, acknowledged, resolved, or open (= not resolved). */
  state: z.enum(['triggered', 'acknowledged', 'resolved', 'open']).optional(),
  /** Exact source module, e.g. `monitoring`. */
  source: line(128).optional(),
  /** Exact severity. */
  severity: severity.optional(),
  /** Opened at or after this time. */
  from: isoTime.optional(),
  /** Opened before this time. */
  to: isoTime.optional(),
  /** The previous page's nextCursor. */
  cursor: z.string().min(1).max(200).optional(),
  /** Page size, at most 200. */
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListIncidentsQuery = z.infer<typeof listIncidentsQuery>;

export const noQuery = z.strictObject({});

export const resolveBody = z.strictObject({
  /** Why it is resolved (goes on the timeline). */
  note: text(4000).optional(),
});
export type ResolveBody = z.infer<typeof resolveBody>;

export const noteBody = z.strictObject({
  /** The note, as written. */
  text: text(4000),
});
export type NoteBody = z.infer<typeof noteBody>;

export const postmortemBody = z.strictObject({
  /** What happened, for readers who were not there. */
  summary: text(20_000),
  /** Why it happened. */
  rootCause: text(20_000),
  /** Follow-up actions. */
  actions: z
    .array(
      z.strictObject({
        /** What to do. */
        text: line(1000),
        /** Who does it. */
        owner: line(256).optional(),
        /** Whether it is done. */
        done: z.boolean().default(false),
      }),
    )
    .max(100)
    .default([]),
});
export type PostmortemBody = z.infer<typeof postmortemBody>;

export const signalBody = z.strictObject({
  /** Who saw it: `backup`, `script:nightly-dump`, … */
  source: line(128),
  /** Same key = same problem, e.g. `backup:db1`. */
  dedupKey: line(512),
  /** firing or resolved. */
  status: z.enum(['firing', 'resolved']),
  /** critical, major, minor or info. */
  severity,
  /** One line for a person at 3 a.m. */
  summary: line(1000),
  /** Machine details (never secrets); at most 16 KiB as JSON. */
  details: z.record(z.string().max(128), z.unknown()).optional(),
  /** When it happened; default now. */
  occurredAt: isoTime.optional(),
  /** Dedup key of a parent (host, site link). */
  parentKey: line(512).optional(),
  /** Status-page component. */
  component: line(128).optional(),
  /** Whether a resolved signal closes the incident (default per source). */
  autoResolve: z.boolean().optional(),
});
export type SignalBody = z.infer<typeof signalBody>;

const windowFields = {
  /** What is being done. */
  title: line(256),
  /** The change reference (ticket, RFC number). */
  changeRef: line(256),
  /** Dedup-key prefixes the window covers, e.g. `monitor:web-`. */
  keyPrefixes: z.array(line(512)).max(50),
  /** Status-page components the window covers. */
  components: z.array(line(128)).max(50),
  /** once: startsAt → endsAt; weekly: from startsAt (to endsAt, if given) on weekdays at localTime for durationMinutes. */
  startsAt: isoTime,
  /** once: end; weekly: last moment the rule applies (optional). */
  endsAt: isoTime.nullable(),
  /** ISO weekdays, 1 = Monday … 7 = Sunday (weekly). */
  weekdays: z.array(z.number().int().min(1).max(7)).max(7),
  /** Local start time `HH:MM` (weekly). */
  localTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM'),
  /** Length of each occurrence in minutes (weekly). */
  durationMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  /** IANA time zone of localTime (default the configured one). */
  timeZone: line(64),
};

export const createWindowBody = z.strictObject({
  ...windowFields,
  /** once or weekly. */
  kind: z.enum(['once', 'weekly']),
  keyPrefixes: windowFields.keyPrefixes.default([]),
  components: windowFields.components.default([]),
  endsAt: windowFields.endsAt.optional(),
  weekdays: windowFields.weekdays.optional(),
  localTime: windowFields.localTime.optional(),
  durationMinutes: windowFields.durationMinutes.optional(),
  timeZone: windowFields.timeZone.optional(),
});
export type CreateWindowBody = z.infer<typeof createWindowBody>;

export const updateWindowBody = z
  .strictObject({
    title: windowFields.title.optional(),
    changeRef: windowFields.changeRef.optional(),
    keyPrefixes: windowFields.keyPrefixes.optional(),
    components: windowFields.components.optional(),
    startsAt: windowFields.startsAt.optional(),
    endsAt: windowFields.endsAt.optional(),
    weekdays: windowFields.weekdays.optional(),
    localTime: windowFields.localTime.optional(),
    durationMinutes: windowFields.durationMinutes.optional(),
    timeZone: windowFields.timeZone.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field' });
export type UpdateWindowBody = z.infer<typeof updateWindowBody>;

export const listWindowsQuery = z.strictObject({
  /** `true`: include ended windows. */
  ended: z.enum(['true', 'false']).optional(),
});

export const completenessQuery = z.strictObject({
  /** First UTC day (inclusive); default 6 days before `to`. */
  from: day.optional(),
  /** Last UTC day (inclusive); default today. */
  to: day.optional(),
});
export type CompletenessQuery = z.infer<typeof completenessQuery>;
