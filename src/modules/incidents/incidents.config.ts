import { z } from 'zod';

/** The incidents module's configuration section (`SKJOLD_INCIDENTS_<KEY>`). */
export const incidentsConfig = {
  name: 'incidents',
  schema: z.object({
    /** Minutes after resolution during which the same dedup key firing again reopens the incident. */
    reopenWindowMinutes: z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(30),
    /** State changes within flapWindowMinutes that mark an incident flapping (not paged until it settles). */
    flapThreshold: z.coerce.number().int().min(2).max(1000).default(5),
    /** Window, in minutes, in which flapThreshold state changes mean flapping. */
    flapWindowMinutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /** Sources whose `resolved` signals resolve the incident (comma-separated); others only note the recovery. */
    autoResolveSources: z.string().max(1024).default('monitoring'),
  }),
};

export type IncidentsConfig = z.infer<typeof incidentsConfig.schema>;
