/**
 * The contracts between the threats module's stages: ingest (raw lines) → parse (ThreatEvent) → intel lookup →
 * detect (Overflow) → decide (decisions, alerts, signals). Each stage is its own folder; they meet only here.
 */

/** Log families the parsers understand; `auto` picks per line. */
export const LOG_TYPES = ['auto', 'sshd', 'nginx', 'apache', 'postfix', 'dovecot', 'ftp', 'nftables'] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** The service a parsed event concerns. */
export type ThreatService = 'ssh' | 'http' | 'smtp' | 'imap' | 'pop3' | 'ftp' | 'firewall';

/**
 * What happened, as one short name scenarios filter on:
 * - `auth_failed`: a wrong password or key for an existing (or unknown to the parser) user
 * - `invalid_user`: a login attempt for a user that does not exist (sshd "Invalid user", "Failed password for invalid user")
 * - `auth_success`: an accepted login
 * - `preauth_close`: a connection closed or reset before authentication (scanners, key probes)
 * - `request`: an HTTP request (status, path, user agent in the fields)
 * - `drop`: a firewall LOG line (a packet logged/dropped by nftables/iptables)
 */
export type ThreatKind = 'auth_failed' | 'invalid_user' | 'auth_success' | 'preauth_close' | 'request' | 'drop';

export interface ThreatEvent {
  /** When it happened, from the log line (epoch ms, UTC). All scenario windows run on this clock. */
  time: number;
  /** Source IP in canonical text form (IPv4 dotted quad; IPv6 as written by the log, lower-case). */
  ip: string;
  service: ThreatService;
  kind: ThreatKind;
  /** The parser that produced it (`sshd`, `nginx`, `apache`, `postfix`, `dovecot`, `pure-ftpd`, `proftpd`, `vsftpd`, `nftables`). */
  parser: string;
  /** Target host: the syslog HOSTNAME, or the virtual host of a vhost_combined access log. */
  host?: string | undefined;
  /** Target user name of an authentication attempt (as given by the attacker; may be empty). */
  user?: string | undefined;
  /** HTTP fields. */
  method?: string | undefined;
  /** Request target as sent (path and query), at most 8 KiB. */
  path?: string | undefined;
  status?: number | undefined;
  userAgent?: string | undefined;
  /** Firewall fields: destination address, protocol (TCP/UDP/ICMP…) and destination port. */
  dst?: string | undefined;
  proto?: string | undefined;
  dstPort?: number | undefined;
  /** Set by the pipeline before detection: the threat-intel feeds listing `ip` (absent: none). */
  listedBy?: readonly string[] | undefined;
  /** Set by the pipeline: the target (host or dst) is a customer environment or the provider's management network. */
  environment?: 'customer' | 'management' | undefined;
  /** The (possibly truncated) raw line: kept only as evidence samples on alerts, never stored otherwise. */
  line: string;
}

/** Why a line did not become an event. `ignored` lines are valid but uninteresting (not counted as failures). */
export type ParseOutcome = { ok: true; event: ThreatEvent } | { ok: false; reason: 'ignored' | 'unparsable' };

/** Longest line handled, in UTF-16 code units; longer lines are cut here (and counted as truncated). */
export const MAX_LINE_LENGTH = 16 * 1024;

/** A scenario's bucket overflowed: the detector's output, the decision stage's input. */
export interface Overflow {
  scenario: string;
  /** The bucket key's text (e.g. `203.0.113.7`, `2001:db8:1:2::/64`, `admin`). */
  key: string;
  /** The address a remediation applies to (the IP, or the network for /24 or /64 group-bys); absent for user keys. */
  scope?: { kind: 'ip' | 'range'; value: string } | undefined;
  /** Every source IP seen in the bucket (capped), for distributed scenarios (spraying). */
  ips: string[];
  /** Events counted (including those that leaked), and the time span of the bucket in event time. */
  count: number;
  firstAt: number;
  lastAt: number;
  severity: 'critical' | 'major' | 'minor' | 'info';
  labels: Record<string, string>;
  /** Remediation asked for by the scenario (absent: alert only). */
  remediation?: { durationSeconds: number; scope: 'ip' | 'ip64' | 'net24'; escalate: number[] } | undefined;
  /** The scenario runs in simulation: decisions are recorded as simulated, never enforced. */
  simulated: boolean;
  /** Up to 10 raw lines that filled the bucket (evidence). */
  samples: string[];
}

/** A ban on an address or a network, as stored and as handed to firewalls and bouncers. */
export interface Decision {
  id: string;
  /** An IP (`203.0.113.7`) or a CIDR network (`2001:db8:1:2::/64`, `198.51.100.0/24`). */
  value: string;
  scope: 'ip' | 'range';
  /** Only bans for now (CrowdSec also knows `captcha`). */
  type: 'ban';
  /** `skjold` (a scenario), `manual` (a person), `feed` (a threat-intel list put in force as bans). */
  origin: 'skjold' | 'manual' | 'feed';
  /** The scenario (or `manual:<user>`, or the feed's name) behind it. */
  scenario: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms when it stops; removed earlier when `deletedAt` is set. */
  until: number;
  deletedAt?: number | undefined;
  /** Recorded but not enforced: the scenario runs in simulation. */
  simulated: boolean;
}
