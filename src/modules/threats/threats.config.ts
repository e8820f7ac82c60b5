import { z } from 'zod';

const listenAddress = z
  .string()
  .regex(
    /^(|\[[0-9a-fA-F:.]+\]:\d{1,5}|[0-9.]+:\d{1,5}|[A-Za-z0-9.-]+:\d{1,5})$/,
    'host:port (IPv6 as [addr]:port) or empty for off',
  )
  .default('');
const csv = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  );
const durations = z
  .string()
  .regex(/^\s*\d+[smhd](\s*,\s*\d+[smhd])*\s*$/, 'comma-separated durations such as 4h,24h,7d')
  .default('4h,24h,7d')
  .transform((s) => s.split(',').map((d) => parseDuration(d.trim())));

/** `90s`, `15m`, `4h`, `7d` → seconds. */
export function parseDuration(d: string): number {
  const n = Number(d.slice(0, -1));
  const unit = d.at(-1);
  return n * (unit === 'd' ? 86_400 : unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
}

/** The threats module's configuration section (`SKJOLD_THREATS_<KEY>`). */
export const threatsConfig = {
  name: 'threats',
  schema: z.object({
    /** Syslog over UDP, `host:port` (e.g. `0.0.0.0:5514`); empty: off. */
    syslogUdp: listenAddress,
    /** Syslog over TCP (octet counting or newline framing), `host:port`; empty: off. */
    syslogTcp: listenAddress,
    /** Syslog over TLS (RFC 5425), `host:port`, with the server's certificate; empty: off. */
    syslogTls: listenAddress,
    /** Log files to follow, comma-separated; `TYPE=PATH` fixes the parser (e.g. `sshd=/var/log/auth.log`), else auto. */
    files: csv,
    /** Lines waiting for the detector, at most; TCP and HTTP senders are slowed beyond this, UDP datagrams counted as dropped. */
    queueLines: z.coerce.number().int().min(1000).max(10_000_000).default(200_000),
    /** Live scenario buckets, at most (oldest dropped and counted beyond this). */
    maxBuckets: z.coerce.number().int().min(1000).max(50_000_000).default(1_000_000),
    /** Directory of extra scenario YAML files (loaded beside the built-in ones). */
    scenariosDir: z.string().default(''),
    /** Ban durations for a first, second, third… offence within `offenceMemoryDays`. */
    banDurations: durations,
    /** Days a past ban counts towards the next one's duration. */
    offenceMemoryDays: z.coerce.number().int().min(1).max(365).default(30),
    /** Networks of customer environments (CIDRs, comma-separated): targets there make feed hits and multi-target attacks page. */
    customerNetworks: csv,
    /** Host names (syslog HOSTNAME or virtual host) of customer environments, comma-separated. */
    customerHosts: csv,
    /** Networks that are never banned whatever a scenario says (own networks, probes, offices), comma-separated CIDRs. */
    allowlist: csv,
    /** Milliseconds between batched writes of alerts and decisions. */
    flushMs: z.coerce.number().int().min(10).max(10_000).default(250),
    /** Distinct customer environments one IP must attack (within an hour of log time) before it pages. */
    multiTargetThreshold: z.coerce.number().int().min(2).max(100).default(3),
    /**
     * NATS servers for scale-out (comma-separated `nats://host:4222`); empty: one process parses and detects. With NATS,
     * `collector` processes parse and publish events partitioned by source network, `engine` processes detect.
     */
    natsServers: csv,
    /** Name of the JetStream stream (subjects and consumers are named after it), to run several Skjolds on one NATS. */
    natsStream: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-"')
      .default('SKJOLD_THREATS'),
    /** Partitions of the event stream (the same on every process; change only with the stream emptied). */
    partitions: z.coerce.number().int().min(1).max(1024).default(16),
    /** This engine's index among `workerCount` engines (which partitions it owns). */
    workerIndex: z.coerce.number().int().min(0).max(1023).default(0),
    workerCount: z.coerce.number().int().min(1).max(1024).default(1),
    /** Seconds between threat-intel feed refresh checks (each feed has its own interval). */
    feedCheckSeconds: z.coerce.number().int().min(10).max(86_400).default(300),
  }),
};

export type ThreatsConfig = z.infer<typeof threatsConfig.schema>;
