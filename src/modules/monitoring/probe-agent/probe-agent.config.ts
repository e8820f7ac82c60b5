import { z } from 'zod';

/**
 * The probe role's configuration section (`SKJOLD_PROBE_<KEY>`, or `--server`, `--server-ca`, `--server-fingerprint`).
 * The token is read from the environment only (`SKJOLD_PROBE_TOKEN`), never from the command line where `ps` shows it.
 */
export const probeAgentConfig = {
  name: 'probe',
  schema: z.object({
    /** The Skjold API the probe reports to: https://host[:port]. */
    server: z
      .string({ error: 'is required (--server https://skjold.example.dk:8443)' })
      .max(500)
      .refine((s) => /^https:\/\/[^\s/]+\/?$/i.test(s) && URL.canParse(s), 'must be an https:// URL without a path'),
    /** The probe's token (`skp_…`), shown once when an admin registered the probe. */
    token: z
      .string({ error: 'is required (set SKJOLD_PROBE_TOKEN)' })
      .regex(/^skp_[A-Za-z0-9_-]{43}$/, 'is not a probe token (skp_…)'),
    /** File with the PEM certificate (or CA) the server must present: for a self-signed server certificate. */
    serverCa: z.string().max(1000).default(''),
    /** SHA-256 fingerprint of the server's certificate (as `skjold start` prints it): pins exactly that certificate. */
    serverFingerprint: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, 'must be 32 colon-separated hex bytes')
      .optional(),
    /** Seconds between posts of buffered results. */
    sendSeconds: z.coerce.number().min(0.2).max(300).default(2),
    /** Most results buffered while the server is unreachable (the oldest are dropped beyond it). */
    bufferMax: z.coerce.number().int().min(100).max(1_000_000).default(50_000),
    /** Most results per batch. */
    batchMax: z.coerce.number().int().min(1).max(1000).default(500),
  }),
};
export type ProbeAgentConfig = z.infer<typeof probeAgentConfig.schema>;
