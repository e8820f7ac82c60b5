import { z } from 'zod';
import { LOCATION_RE } from '../api/monitor.schemas.ts';

/** Most results in one batch a probe posts. */
export const MAX_BATCH = 1000;

export const probeIdParams = z.strictObject({ id: z.string().uuid('not a probe id') });

export const createProbeBody = z.strictObject({
  /** Shown in the console and in signals (`Copenhagen 2`). */
  name: z
    .string({ error: 'name must be text' })
    .trim()
    .min(1, 'name is required')
    .max(100, 'name is at most 100 characters')
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'name has printable characters only'),
  /** The location the probe runs checks for (monitors name it in `locations`); one probe per location. */
  location: z
    .string({ error: 'location must be text' })
    .regex(LOCATION_RE, 'a location is 1–40 characters: lower-case letters, digits and dashes')
    .refine((l) => l !== 'local', '`local` is the engine’s own location'),
  /** Seconds between the probe's polls for its assignments (the silence limit is a multiple of it); default from configuration. */
  pollSeconds: z.number().int().min(5, 'at least 5 seconds').max(3600, 'at most 3600 seconds').optional(),
});
export type CreateProbeBody = z.infer<typeof createProbeBody>;

const isoTime = z
  .string({ error: 'at must be an ISO 8601 time' })
  .max(40, 'at must be an ISO 8601 time')
  .refine((s) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)), 'at must be an ISO 8601 time');

/** One check result a probe reports. */
export const probeResultItem = z.strictObject({
  /** The monitor checked (one of the probe's assignments). */
  monitorId: z.string({ error: 'monitorId must be text' }).uuid('monitorId is not a monitor id'),
  /** When the check started (server time: the probe corrects its clock by the offset the assignments tell it). */
  at: isoTime,
  /** Whether the check passed. */
  ok: z.boolean({ error: 'ok must be true or false' }),
  /** Milliseconds to the answer; null when none came. */
  responseMs: z
    .number({ error: 'responseMs must be a number or null' })
    .int('responseMs must be an integer')
    .min(0, 'responseMs is at least 0')
    .max(600_000, 'responseMs is at most 600000')
    .nullable(),
  /** Short reason of a failure; null when ok. */
  error: z.string({ error: 'error must be text or null' }).max(300, 'error is at most 300 characters').nullable(),
});
export type ProbeResultItem = z.infer<typeof probeResultItem>;

/** A batch of results; its items are validated one by one after the probe token (precise paths, nothing written on error). */
export const probeResultsBody = z.strictObject({
  /** The probe's id for this batch (a UUID); a retried batch carries the same id and is not counted twice. */
  batchId: z.string({ error: 'batchId must be text' }).uuid('batchId must be a UUID'),
  /** The probe's version, for the console. */
  version: z.string().max(50).optional(),
  /** 1–1000 results. */
  results: z
    .array(z.unknown(), { error: 'results must be a list' })
    .min(1, 'send at least one result')
    .max(MAX_BATCH, `at most ${MAX_BATCH} results per batch`),
});
export type ProbeResultsBody = z.infer<typeof probeResultsBody>;
