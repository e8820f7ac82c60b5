/**
 * Deterministic generator of the threat benchmark's logs: `sshd.log` (syslog RFC 3164), `nginx.log` (combined access
 * log) and `mail.log` (postfix + dovecot, syslog), each `lines` lines long, spanning `hours` of log time, with planted
 * attackers among realistic normal traffic, and `truth.json` naming every attacker (IP, kind, log).
 *
 *   node --import tsx bench/threats/generate.ts [--lines N] [--seed S] [--out DIR]
 *
 * Address plan (so that /24 and /64 bans can be judged): attackers use TEST-NET-1 (192.0.2.0/24), TEST-NET-3
 * (203.0.113.0/24), `2001:db8:bad::/48` and public-looking /24s and /64s that no legitimate client shares; legitimate
 * clients use TEST-NET-2 (198.51.100.0/24), `2001:db8:1000::/36` and other public-looking networks. Nothing is in
 * RFC 1918 space except the mail server's own local address (`lip=`). "Neutral" background scanners (one or two
 * probes each, as every internet-facing sshd sees) are listed separately: flagging them is neither a hit nor a false
 * positive.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOG_NAMES = ['sshd', 'nginx', 'mail'] as const;
export type LogName = (typeof LOG_NAMES)[number];

/** The planted attack kinds; `log` says which file each lives in. */
export const ATTACK_KINDS = {
  'ssh-bf-fast': 'sshd',
  'ssh-bf-slow': 'sshd',
  'ssh-user-enum': 'sshd',
  'ssh-spray': 'sshd',
  'ssh-ipv6-rotation': 'sshd',
  'http-probing': 'nginx',
  'http-sensitive-files': 'nginx',
  'http-sqli': 'nginx',
  'http-sqlmap-ua': 'nginx',
  'http-wp-bf': 'nginx',
  'mail-sasl-bf': 'mail',
  'mail-imap-bf': 'mail',
} as const satisfies Record<string, LogName>;
export type AttackKind = keyof typeof ATTACK_KINDS;

export interface TruthAttacker {
  ip: string;
  kind: AttackKind;
  log: LogName;
  /** Distributed attacks (spraying, IPv6 rotation) share one campaign id across their IPs. */
  campaign: string;
  /** The network a rotation campaign lives in (`2001:db8:bad:1::/64`). */
  network?: string;
  /** Attempts (requests, failed logins) this IP made. */
  attempts: number;
  firstAt: string;
  lastAt: string;
}

export interface Truth {
  seed: number;
  linesPerLog: number;
  start: string;
  end: string;
  files: Record<LogName, string>;
  attackers: TruthAttacker[];
  /** Background scanners per log: one or two probes each; neither attackers to find nor false positives. */
  neutral: Record<LogName, string[]>;
  /** Facts about the legitimate traffic, to judge how close a detector may cut. */
  legit: Record<LogName, { ipsWithAuthFailures: number; maxAuthFailuresPerIpPer24h: number; maxAuthFailuresPerIpPer10m: number }>;
}

export interface GenerateOptions {
  dir: string;
  /** Lines per log (default 1,000,000). */
  lines?: number;
  seed?: number;
  /** Log time of the first line (epoch ms; default 2026-11-26T00:00:00Z). */
  start?: number;
  /** Hours of log time (default 48). */
  hours?: number;
}

const HOUR = 3_600_000;
const MIN = 60_000;
const DEFAULT_START = Date.UTC(2026, 10, 26);

/** mulberry32: a small, fast, seedable PRNG (period 2^32, plenty for log noise). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const hex = (r: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
};
const alnum = (r: Rng, n: number): string => {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += a[Math.floor(r() * a.length)];
  return s;
};

// ---------------------------------------------------------------------------------------------------------------
// Addresses

const PUBLIC_FIRST_OCTETS = [
  2, 5, 23, 24, 31, 37, 46, 47, 50, 62, 64, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87,
  88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 101, 103, 104, 106, 107, 108, 109, 110, 112, 113, 114, 115, 116, 117, 118, 119,
  121, 122, 123, 124, 125, 141, 142, 145, 146, 147, 149, 151, 152, 154, 156, 158, 159, 162, 163, 164, 165, 167, 171, 173, 174,
  175, 176, 177, 178, 179, 180, 181, 182, 183, 185, 186, 187, 188, 189, 190, 191, 193, 194, 195, 196, 197, 200, 201, 202, 210,
  211, 212, 213, 217, 218, 219, 220, 221, 222, 223,
];

/** Hands out addresses so that an attacker never shares a /24 (IPv4) or /64 (IPv6) with a legitimate client. */
class AddressPlan {
  private readonly role = new Map<string, 'attacker' | 'legit'>();
  private readonly used = new Set<string>();
  private docAttacker = 0;
  private docLegit = 0;
  constructor(private readonly r: Rng) {
    this.role.set('192.0.2', 'attacker');
    this.role.set('203.0.113', 'attacker');
    this.role.set('198.51.100', 'legit');
    // Crawlers, mail providers and Jetpack below are legitimate and hand-placed.
    for (const n of ['66.249.66', '157.55.39', '40.77.167', '209.85.221', '209.85.128', '40.92.19', '192.0.84'])
      this.role.set(n, 'legit');
  }

  private claim(ip: string, net: string, who: 'attacker' | 'legit'): boolean {
    const owner = this.role.get(net);
    if ((owner && owner !== who) || this.used.has(ip)) return false;
    this.role.set(net, who);
    this.used.add(ip);
    return true;
  }

  /** A fresh IPv4 address; one in five from the documentation range of its role. */
  v4(who: 'attacker' | 'legit'): string {
    for (;;) {
      if (this.r() < 0.2) {
        if (who === 'attacker' && this.docAttacker < 400) {
          const net = this.docAttacker++ % 2 === 0 ? '192.0.2' : '203.0.113';
          const ip = `${net}.${int(this.r, 1, 254)}`;
          if (this.claim(ip, net, who)) return ip;
          continue;
        }
        if (who === 'legit' && this.docLegit < 200) {
          this.docLegit++;
          const ip = `198.51.100.${int(this.r, 1, 254)}`;
          if (this.claim(ip, '198.51.100', who)) return ip;
          continue;
        }
      }
      const net = `${pick(this.r, PUBLIC_FIRST_OCTETS)}.${int(this.r, 0, 255)}.${int(this.r, 0, 255)}`;
      const ip = `${net}.${int(this.r, 1, 254)}`;
      if (this.claim(ip, net, who)) return ip;
    }
  }

  /** A fresh IPv6 /64 prefix (four groups, no trailing `::`). */
  v6net(who: 'attacker' | 'legit'): string {
    for (;;) {
      const doc = this.r() < 0.3;
      const prefix =
        who === 'attacker'
          ? doc
            ? `2001:db8:bad:${hex(this.r, 3)}`
            : `2a0b:${hex(this.r, 4)}:${hex(this.r, 3)}:${hex(this.r, 2)}`
          : doc
            ? `2001:db8:1${hex(this.r, 3)}:${hex(this.r, 4)}`
            : `${pick(this.r, ['2a02:810d', '2003:e5', '2a01:599', '2001:4c3c', '2605:a601'])}:${hex(this.r, 4)}:${hex(this.r, 4)}`;
      const net = prefix.replace(/:0+([0-9a-f])/g, ':$1');
      if (this.claim(`${net}::`, net, who)) return net;
    }
  }
}

const v6addr = (r: Rng, net: string): string =>
  `${net}:${hex(r, 4).replace(/^0+(?=.)/, '')}:${hex(r, 4).replace(/^0+(?=.)/, '')}:${hex(r, 4).replace(/^0+(?=.)/, '')}:${hex(r, 4).replace(/^0+(?=.)/, '')}`;

// ---------------------------------------------------------------------------------------------------------------
// Time formats (cached per second: most consecutive lines share one)

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
let syslogSec = -1;
let syslogText = '';
/** `Nov 27 10:00:01` (UTC, day padded with a space as syslog does). */
export function syslogTime(t: number): string {
  const s = Math.floor(t / 1000);
  if (s !== syslogSec) {
    const d = new Date(s * 1000);
    const day = d.getUTCDate();
    syslogText = `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
    syslogSec = s;
  }
  return syslogText;
}
let clfSec = -1;
let clfText = '';
/** `27/Nov/2026:10:00:01 +0000`. */
export function clfTime(t: number): string {
  const s = Math.floor(t / 1000);
  if (s !== clfSec) {
    const d = new Date(s * 1000);
    clfText = `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
    clfSec = s;
  }
  return clfText;
}

// ---------------------------------------------------------------------------------------------------------------
// The output: a time-ordered merge of scheduled lines (a binary heap on (time, sequence))

interface Pending {
  t: number;
  seq: number;
  /** The line without its time (the log family's renderer adds it). */
  text: string;
  /** A planted attack's line: never dropped when the last bundle overshoots the line budget. */
  attack: boolean;
}

class Timeline {
  private heap: Pending[] = [];
  private seq = 0;
  scheduled = 0;
  /** Lines pushed while true are attack lines (attacks are planted before the normal traffic). */
  planting = true;

  push(t: number, text: string): void {
    const h = this.heap;
    const e: Pending = { t, seq: this.seq++, text, attack: this.planting };
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p] as Pending)) break;
      h[i] = h[p] as Pending;
      i = p;
    }
    h[i] = e;
    this.scheduled++;
  }

  /** Remove and return the earliest entry at or before `t` (or any, with Infinity). */
  popUntil(t: number): Pending | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top || top.t > t) return undefined;
    const last = h.pop() as Pending;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r] as Pending, h[l] as Pending) ? r : l;
        if (!less(h[c] as Pending, last)) break;
        h[i] = h[c] as Pending;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
const less = (a: Pending, b: Pending): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

/** Buffered writer: lines are joined and written in 4 MiB-ish chunks. */
class LineFile {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  lines = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size > 4_000_000) this.flush();
  }
  private flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared scaffolding for one log

/** Relative traffic by hour of day (UTC): quiet nights, busy afternoons. */
const DIURNAL = [
  0.3, 0.25, 0.22, 0.2, 0.22, 0.3, 0.45, 0.65, 0.85, 0.95, 1, 1, 0.95, 1, 1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.4,
];

/** Maps a fraction of the normal-traffic budget to a log time, following the diurnal curve. */
function timeWarp(start: number, hours: number): (f: number) => number {
  const mins = Math.round(hours * 60);
  const cum = new Float64Array(mins + 1);
  for (let m = 0; m < mins; m++) {
    const h = new Date(start + m * MIN).getUTCHours();
    cum[m + 1] = (cum[m] as number) + (DIURNAL[h] as number);
  }
  const total = cum[mins] as number;
  return (f) => {
    const target = f * total;
    let lo = 0;
    let hi = mins;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((cum[mid] as number) <= target) lo = mid;
      else hi = mid - 1;
    }
    const base = cum[lo] as number;
    const w = (cum[Math.min(lo + 1, mins)] as number) - base || 1;
    return start + (lo + Math.min(1, (target - base) / w)) * MIN;
  };
}

interface Ctx {
  r: Rng;
  tl: Timeline;
  start: number;
  end: number;
  plan: AddressPlan;
  attackers: TruthAttacker[];
  neutral: Set<string>;
  /** Legit auth failures per IP, as times, to report the margin a detector has. */
  legitFailures: Map<string, number[]>;
  pid: number;
}
const nextPid = (c: Ctx): number => (c.pid = c.pid >= 4_190_000 ? 1000 + int(c.r, 0, 999) : c.pid + int(c.r, 1, 40));
const port = (c: Ctx): number => int(c.r, 32768, 65535);
const clamp = (c: Ctx, t: number): number => Math.min(t, c.end - 1000);

function addAttacker(c: Ctx, a: Omit<TruthAttacker, 'firstAt' | 'lastAt'> & { first: number; last: number }): void {
  const { first, last, ...rest } = a;
  c.attackers.push({ ...rest, firstAt: new Date(first).toISOString(), lastAt: new Date(last).toISOString() });
}

function legitFailure(c: Ctx, ip: string, t: number): void {
  let l = c.legitFailures.get(ip);
  if (!l) c.legitFailures.set(ip, (l = []));
  l.push(t);
}

/** Most auth failures any one legitimate IP made within any `windowMs`. */
function maxInWindow(times: Map<string, number[]>, windowMs: number): number {
  let best = 0;
  for (const ts of times.values()) {
    ts.sort((a, b) => a - b);
    let j = 0;
    for (let i = 0; i < ts.length; i++) {
      while ((ts[i] as number) - (ts[j] as number) >= windowMs) j++;
      best = Math.max(best, i - j + 1);
    }
  }
  return best;
}

/** Splits `n` attempts over [from, to) at random times (sorted). */
function spread(c: Ctx, n: number, from: number, to: number): number[] {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) ts.push(from + ((i + 0.2 + 0.6 * c.r()) / n) * (to - from));
  return ts;
}

/** Weighted choice with a Zipf-like tail (a few heavy users, many light ones). */
function zipfPicker<T>(r: Rng, items: readonly T[], s = 0.9): () => T {
  const cum = new Float64Array(items.length);
  let acc = 0;
  for (let i = 0; i < items.length; i++) cum[i] = acc += 1 / Math.pow(i + 1, s);
  return () => {
    const x = r() * acc;
    let lo = 0;
    let hi = items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo] as T;
  };
}

const FIRST_NAMES = [
  'anna',
  'bo',
  'carl',
  'dorte',
  'erik',
  'frida',
  'gustav',
  'hanne',
  'ida',
  'jens',
  'karen',
  'lars',
  'mette',
  'niels',
  'ole',
  'pia',
  'rasmus',
  'sofie',
  'thomas',
  'ulla',
  'viggo',
  'alice',
  'bob',
  'chen',
  'diego',
  'emma',
  'farid',
  'greta',
  'hugo',
  'ines',
  'jonas',
  'kim',
  'lea',
  'maja',
  'noah',
  'olga',
  'priya',
  'quinn',
  'rosa',
  'sam',
  'tariq',
];
const userNames = (r: Rng, n: number, avoid: ReadonlySet<string>): string[] => {
  const out = new Set<string>();
  while (out.size < n) {
    const u = `${pick(r, FIRST_NAMES)}${r() < 0.5 ? pick(r, FIRST_NAMES).slice(0, 1) : ''}${r() < 0.6 ? int(r, 1, 99) : ''}`;
    if (!avoid.has(u)) out.add(u);
  }
  return [...out];
};

/** A legitimate client: a person with 1–3 addresses (home, office shared by up to four people, phone / IPv6). */
interface Person {
  name: string;
  ips: string[];
  /** IPv6 /64 whose privacy address changes every day (absent: IPv4 only). */
  v6net?: string;
  /** Auth failures left per day (1–3 a day at most, per the benchmark's definition of a legitimate user). */
  failuresLeft: Map<number, number>;
}

function people(c: Ctx, n: number, names: readonly string[]): Person[] {
  const offices: { ip: string; seats: number }[] = [];
  const out: Person[] = [];
  for (let i = 0; i < n; i++) {
    const ips = [c.plan.v4('legit')];
    if (c.r() < 0.5) {
      let office = offices.find((o) => o.seats > 0 && c.r() < 0.3);
      if (!office) offices.push((office = { ip: c.plan.v4('legit'), seats: int(c.r, 1, 3) }));
      else office.seats--;
      ips.push(office.ip);
    }
    const p: Person = { name: names[i % names.length] as string, ips, failuresLeft: new Map() };
    if (c.r() < 0.15) p.v6net = c.plan.v6net('legit');
    out.push(p);
  }
  return out;
}

/** The address a person uses at `t` (IPv6 privacy addresses rotate daily inside the person's own /64). */
function personIp(c: Ctx, p: Person, t: number): string {
  if (p.v6net && c.r() < 0.4) {
    const day = Math.floor(t / (24 * HOUR));
    return v6addr(createRng(day * 7919 + p.name.length * 104729 + p.v6net.length), p.v6net);
  }
  return pick(c.r, p.ips);
}

/** How many auth failures (0–3) this person may still make on `t`'s day; takes them from the budget. */
function typos(c: Ctx, p: Person, t: number, chance: number): number {
  if (c.r() >= chance) return 0;
  const day = Math.floor(t / (24 * HOUR));
  const left = p.failuresLeft.get(day) ?? int(c.r, 1, 3);
  const n = Math.min(left, int(c.r, 1, 2));
  p.failuresLeft.set(day, left - n);
  return n;
}

function drive(c: Ctx, file: LineFile, budget: number, normal: (t: number) => void, render: (p: Pending) => string): void {
  const warp = timeWarp(c.start, (c.end - c.start) / HOUR);
  const attackLines = c.tl.scheduled;
  const normalBudget = budget - attackLines;
  if (normalBudget < budget / 4) throw new Error(`--lines ${budget} is too small for the planted attacks (${attackLines} lines)`);
  c.tl.planting = false;
  let made = 0;
  while (made < normalBudget) {
    const t = warp(made / normalBudget);
    const before = c.tl.scheduled;
    normal(t);
    made += c.tl.scheduled - before;
    // The last bundle stays in the timeline: it may overshoot the budget (handled below).
    if (made < normalBudget) for (let e = c.tl.popUntil(t); e; e = c.tl.popUntil(t)) file.write(render(e));
  }
  // Drop the overshoot (a few lines) from the very end, normal lines only, to hit the budget exactly.
  const rest: Pending[] = [];
  for (let e = c.tl.popUntil(Infinity); e; e = c.tl.popUntil(Infinity)) rest.push(e);
  let excess = made - normalBudget;
  for (let i = rest.length - 1; i >= 0 && excess > 0; i--)
    if (!(rest[i] as Pending).attack) {
      rest.splice(i, 1);
      excess--;
    }
  for (const e of rest) file.write(render(e));
}

const HOSTS = Array.from({ length: 40 }, (_, i) =>
  i < 24 ? `web${p2(i + 1)}` : i < 32 ? `db${p2(i - 23)}` : i < 36 ? `mx${i - 31}` : `bastion${i - 35}`,
);

// ---------------------------------------------------------------------------------------------------------------
// sshd

const ATTACK_USERS = [
  'admin',
  'test',
  'user',
  'ubuntu',
  'oracle',
  'postgres',
  'git',
  'ftpuser',
  'guest',
  'pi',
  'support',
  'mysql',
  'nagios',
  'hadoop',
  'jenkins',
  'ansible',
  'tomcat',
  'www-data',
  'minecraft',
  'steam',
  'dev',
  'demo',
  'usuario',
  'teste',
  'administrator',
  'operator',
  'user1',
  'test1',
  'student',
  'es',
  'elastic',
  'kafka',
  'redis',
  'zabbix',
  'vagrant',
  'centos',
  'debian',
  'odoo',
  'sftp',
  'temp',
  'web',
  'www',
  'backup2',
  'docker',
  'gitlab',
  'sysadmin',
  'deployer',
  'ts3',
  'teamspeak',
  'ftp',
  'mail',
  'info',
  'sales',
  'office',
  'scanner',
  'ubnt',
  'vpn',
  'webadmin',
];

function sshdLog(c: Ctx, file: LineFile, lines: number): void {
  const r = c.r;
  const host = (): string => pick(r, HOSTS);
  const at = (h: number): number => c.start + h * HOUR;
  const line = (t: number, h: string, pid: number, msg: string): void => c.tl.push(t, `${h} sshd[${pid}]: ${msg}`);

  /** One connection making `users.length` password attempts, closed the way sshd closes it. */
  const failConn = (t: number, ip: string, h: string, users: readonly string[], valid: boolean, gap = 2000): number => {
    const pid = nextPid(c);
    const pt = port(c);
    const u0 = users[0] as string;
    if (!valid) {
      line(t, h, pid, `Invalid user ${u0} from ${ip} port ${pt}`);
      line(t, h, pid, 'pam_unix(sshd:auth): check pass; user unknown');
      line(t, h, pid, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}`);
    } else
      line(
        t,
        h,
        pid,
        `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u0}`,
      );
    let tt = t;
    for (const u of users) {
      tt += gap * (0.5 + r());
      line(tt, h, pid, `Failed password for ${valid ? '' : 'invalid user '}${u} from ${ip} port ${pt} ssh2`);
    }
    if (users.length >= 6) {
      line(
        tt,
        h,
        pid,
        `error: maximum authentication attempts exceeded for ${valid ? '' : 'invalid user '}${u0} from ${ip} port ${pt} ssh2 [preauth]`,
      );
      line(
        tt,
        h,
        pid,
        `Disconnecting ${valid ? 'authenticating' : 'invalid'} user ${u0} ${ip} port ${pt}: Too many authentication failures [preauth]`,
      );
      line(
        tt,
        h,
        pid,
        `PAM ${users.length - 1} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}${valid ? `  user=${u0}` : ''}`,
      );
    } else if (r() < 0.5) {
      line(tt + 200, h, pid, `Received disconnect from ${ip} port ${pt}:11: Bye Bye [preauth]`);
      line(tt + 200, h, pid, `Disconnected from ${valid ? 'authenticating' : 'invalid'} user ${u0} ${ip} port ${pt} [preauth]`);
    } else
      line(
        tt + 200,
        h,
        pid,
        `Connection closed by ${valid ? 'authenticating' : 'invalid'} user ${u0} ${ip} port ${pt} [preauth]`,
      );
    return tt;
  };

  // Fast brute force: hundreds of attempts in minutes, six per connection.
  for (const [h, n, mins] of [
    [1.5, 420, 6],
    [7.2, 600, 9],
    [20.1, 300, 4],
    [33.7, 520, 8],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const h0 = host();
    const ts = spread(c, Math.ceil(n / 6), at(h), at(h) + mins * MIN);
    let last = 0;
    for (const t of ts) last = failConn(t, ip, h0, Array(6).fill(r() < 0.8 ? 'root' : 'admin') as string[], true, 700);
    addAttacker(c, {
      ip,
      kind: 'ssh-bf-fast',
      log: 'sshd',
      campaign: `ssh-bf-fast-${ip}`,
      attempts: ts.length * 6,
      first: ts[0] as number,
      last,
    });
  }
  // Slow brute force: ~30 single attempts spread over 24 h.
  for (const [h, n] of [
    [0.5, 30],
    [10.3, 28],
    [22.6, 34],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const ts = spread(c, n, at(h), clamp(c, at(h + 24)));
    for (const t of ts) failConn(t, ip, host(), [r() < 0.7 ? 'root' : 'admin'], true);
    addAttacker(c, {
      ip,
      kind: 'ssh-bf-slow',
      log: 'sshd',
      campaign: `ssh-bf-slow-${ip}`,
      attempts: n,
      first: ts[0] as number,
      last: ts[n - 1] as number,
    });
  }
  // User enumeration: one attempt per invented user name, dozens of names in half an hour.
  for (const [h, n] of [
    [3.1, 80],
    [16.4, 60],
    [40.2, 120],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const h0 = host();
    const ts = spread(c, n, at(h), at(h) + 30 * MIN);
    ts.forEach((t, i) =>
      failConn(t, ip, h0, [`${ATTACK_USERS[i % ATTACK_USERS.length] as string}${i >= ATTACK_USERS.length ? i : ''}`], false),
    );
    addAttacker(c, {
      ip,
      kind: 'ssh-user-enum',
      log: 'sshd',
      campaign: `ssh-user-enum-${ip}`,
      attempts: n,
      first: ts[0] as number,
      last: ts[n - 1] as number,
    });
  }
  // Password spraying on one account from many addresses, each making only 2–3 attempts.
  for (const [h, n, user, hours] of [
    [4.0, 40, 'helpdesk', 2],
    [29.0, 30, 'ftpadmin', 3],
  ] as const) {
    const campaign = `ssh-spray-${user}`;
    const h0 = host();
    for (let i = 0; i < n; i++) {
      const ip = c.plan.v4('attacker');
      const k = int(r, 2, 3);
      const t0 = at(h) + r() * hours * HOUR;
      const ts = spread(c, k, t0, t0 + int(r, 1, 20) * MIN);
      for (const t of ts) failConn(t, ip, h0, [user], true);
      addAttacker(c, {
        ip,
        kind: 'ssh-spray',
        log: 'sshd',
        campaign,
        attempts: k,
        first: ts[0] as number,
        last: ts[k - 1] as number,
      });
    }
  }
  // IPv6 rotation: one /64, a new address every 2–3 attempts.
  for (const [h, n] of [
    [2.2, 200],
    [26.5, 240],
  ] as const) {
    const net = c.plan.v6net('attacker');
    const h0 = host();
    const ts = spread(c, n, at(h), at(h) + 40 * MIN);
    for (let i = 0; i < n;) {
      const ip = v6addr(r, net);
      const k = Math.min(n - i, int(r, 2, 3));
      for (let j = 0; j < k; j++) failConn(ts[i + j] as number, ip, h0, [r() < 0.6 ? 'root' : 'admin'], true);
      addAttacker(c, {
        ip,
        kind: 'ssh-ipv6-rotation',
        log: 'sshd',
        campaign: `ssh-ipv6-${net}::/64`,
        network: `${net}::/64`,
        attempts: k,
        first: ts[i] as number,
        last: ts[i + k - 1] as number,
      });
      i += k;
    }
  }

  // Normal traffic.
  const reserved = new Set(['root', 'helpdesk', 'ftpadmin', 'admin', ...ATTACK_USERS]);
  const nPeople = Math.max(60, Math.round(lines / 400));
  const staff = people(c, nPeople, userNames(r, nPeople, reserved));
  const bots = Array.from({ length: Math.max(6, Math.round(nPeople / 50)) }, (_, i) => ({
    name: pick(r, ['deploy', 'ci', 'backup', 'ansible-run', 'monitor']) + (i + 1),
    ip: c.plan.v4('legit'),
    hosts: Array.from({ length: int(r, 2, 8) }, () => host()),
  }));
  const homeHosts = new Map<Person, string[]>(staff.map((p) => [p, Array.from({ length: int(r, 1, 3) }, () => host())]));
  const nextPerson = zipfPicker(r, staff, 0.5);
  const nextBot = zipfPicker(r, bots, 0.5);
  const scanners = Array.from({ length: Math.max(50, Math.round(lines / 2500)) }, () => c.plan.v4('attacker'));
  for (const s of scanners) c.neutral.add(s);

  /** A login; `typed` wrong passwords first come in the same connection (an interactive prompt allows three). */
  const session = (
    t: number,
    ip: string,
    h: string,
    user: string,
    method: 'password' | 'publickey',
    minutes: number,
    typed = 0,
  ): void => {
    const pid = nextPid(c);
    const pt = port(c);
    let tt = t;
    if (typed > 0) {
      line(
        tt,
        h,
        pid,
        `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`,
      );
      for (let i = 0; i < typed; i++) {
        tt += int(r, 2, 9) * 1000;
        line(tt, h, pid, `Failed password for ${user} from ${ip} port ${pt} ssh2`);
        legitFailure(c, ip, tt);
      }
      tt += int(r, 3, 12) * 1000;
    }
    const key = method === 'publickey' ? `: ED25519 SHA256:${alnum(r, 43)}` : '';
    line(tt, h, pid, `Accepted ${method} for ${user} from ${ip} port ${pt} ssh2${key}`);
    line(
      tt,
      h,
      pid,
      `pam_unix(sshd:session): session opened for user ${user}(uid=${1000 + ((user.length * 37) % 900)}) by (uid=0)`,
    );
    const te = clamp(c, tt + minutes * MIN * (0.2 + r()));
    line(te, h, pid, `Received disconnect from ${ip} port ${pt}:11: disconnected by user`);
    line(te, h, pid, `Disconnected from user ${user} ${ip} port ${pt}`);
    line(te, h, pid, `pam_unix(sshd:session): session closed for user ${user}`);
  };

  drive(
    c,
    file,
    lines,
    (t) => {
      const x = r();
      if (x < 0.55) {
        const p = nextPerson();
        const ip = personIp(c, p, t);
        const h = pick(r, homeHosts.get(p) as string[]);
        // Password users mistype now and then (1–3 times a day at most), then get in on the same connection.
        const password = r() < 0.6;
        session(t, ip, h, p.name, password ? 'password' : 'publickey', 45, password ? typos(c, p, t, 0.06) : 0);
      } else if (x < 0.97) {
        const b = nextBot();
        session(t, b.ip, pick(r, b.hosts), b.name, 'publickey', 2);
      } else {
        // Background noise: a scanner's banner grab or a single guess.
        const ip = pick(r, scanners);
        const pid = nextPid(c);
        if (r() < 0.6) line(t, host(), pid, `Connection closed by ${ip} port ${port(c)} [preauth]`);
        else failConn(t, ip, host(), [pick(r, ATTACK_USERS)], false);
      }
    },
    (e) => `${syslogTime(e.t)} ${e.text}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// nginx (combined log format)

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.107 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
];
const CRAWLERS = [
  { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', net: '66.249.66' },
  { ua: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', net: '157.55.39' },
  {
    ua: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
    net: '40.77.167',
  },
];
const WORDS = [
  'hosting',
  'vps',
  'backup',
  'dns',
  'ssl',
  'mail',
  'pricing',
  'support',
  'status',
  'kubernetes',
  'database',
  'migration',
  'firewall',
  'domain',
  'wordpress',
  'nginx',
  'php',
  'python',
  'node',
  'storage',
  'cdn',
  'ddos',
  'iso27001',
  'gdpr',
];
/** Real search terms that look like SQL or carry quotes: a detector must not call these injection. */
const TRICKY_SEARCHES = [
  'union+square+office',
  'select+a+plan',
  'don%27t+lose+data',
  'o%27brien+consulting',
  'drop+shipping+hosting',
  'order+by+price',
  '%22managed+kubernetes%22',
  'what+is+1%3D1+in+sql',
  'insert+ssl+certificate',
  'delete+account',
];
const STATIC = [
  '/static/css/main.8f3a1c.css',
  '/static/js/app.4be2d9.js',
  '/static/js/vendor.77c1e0.js',
  '/static/fonts/inter.woff2',
  '/images/logo.svg',
  '/images/hero.webp',
];

function nginxLog(c: Ctx, file: LineFile, lines: number): void {
  const r = c.r;
  const at = (h: number): number => c.start + h * HOUR;
  const req = (t: number, ip: string, method: string, path: string, status: number, ua: string, ref = '-', bytes = -1): void => {
    const b = bytes >= 0 ? bytes : status === 304 ? 0 : status === 404 ? 153 + int(r, 0, 400) : int(r, 400, 90_000);
    c.tl.push(t, `${ip} - - [\x00] "${method} ${path} HTTP/${r() < 0.7 ? '2.0' : '1.1'}" ${status} ${b} "${ref}" "${ua}"`);
  };
  const slug = (): string => `${pick(r, WORDS)}-${pick(r, WORDS)}-${int(r, 1, 400)}`;
  const site = 'https://www.example-hosting.test';

  const campaign = (kind: AttackKind, ip: string, ts: number[], each: (t: number, i: number) => void): void => {
    ts.forEach(each);
    addAttacker(c, {
      ip,
      kind,
      log: 'nginx',
      campaign: `${kind}-${ip}`,
      attempts: ts.length,
      first: ts[0] as number,
      last: ts[ts.length - 1] as number,
    });
  };
  const PROBES = [
    '/admin.php',
    '/administrator/',
    '/phpmyadmin/',
    '/pma/',
    '/myadmin/',
    '/manager/html',
    '/solr/admin/',
    '/cgi-bin/test.cgi',
    '/boaform/admin/formLogin',
    '/actuator/health',
    '/console/',
    '/HNAP1/',
    '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
    '/owa/auth/logon.aspx',
    '/remote/login',
    '/api/jsonws/invoke',
    '/jenkins/login',
    '/webui/',
    '/setup.cgi',
    '/shell.php',
    '/wp-content/plugins/wp-file-manager/readme.txt',
    '/telescope/requests',
    '/login.action',
    '/portal/redlion',
    '/geoserver/web/',
  ];
  // HTTP probing: hundreds of 404s.
  for (const [h, n, mins, ua] of [
    [1.2, 420, 5, 'Mozilla/5.0 zgrab/0.x'],
    [14.5, 180, 30, BROWSERS[0] as string],
    [37.0, 260, 20, 'Mozilla/5.0 (compatible; scan/1.0)'],
  ] as const) {
    const ip = c.plan.v4('attacker');
    campaign('http-probing', ip, spread(c, n, at(h), at(h) + mins * MIN), (t, i) =>
      req(
        t,
        ip,
        'GET',
        i < PROBES.length ? (PROBES[i] as string) : `/${pick(r, PROBES).slice(1).split('/')[0] as string}${i}/`,
        404,
        ua,
      ),
    );
  }
  // Sensitive files: a handful of requests each.
  const SENSITIVE = [
    '/.env',
    '/.git/config',
    '/backup.sql',
    '/.aws/credentials',
    '/wp-config.php.bak',
    '/db.sql',
    '/dump.sql.gz',
    '/.htpasswd',
    '/.svn/entries',
    '/config.php.bak',
    '/.git/HEAD',
    '/site.tar.gz',
  ];
  for (const [h, n] of [
    [2.5, 3],
    [9.0, 6],
    [21.3, 8],
    [44.1, 4],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const start = int(r, 0, SENSITIVE.length - 1);
    campaign('http-sensitive-files', ip, spread(c, n, at(h), at(h) + 3 * MIN), (t, i) =>
      req(t, ip, 'GET', SENSITIVE[(start + i) % SENSITIVE.length] as string, r() < 0.8 ? 404 : 403, pick(r, BROWSERS)),
    );
  }
  // SQL injection: URL-encoded and mixed-case payloads.
  const SQLI = [
    '/products.php?id=1%27%20OR%20%271%27%3D%271',
    '/products.php?id=1%20UnIoN%20SeLeCt%201,2,3--',
    '/index.php?cat=-1%20union%20all%20select%20null,concat(username,0x3a,password)%20from%20users--',
    '/search?q=1%27%20AND%20SLEEP(5)--%20-',
    '/item?id=1+AND+1%3D1',
    '/item?id=1%2527',
    '/news.php?id=2%20AND%20extractvalue(1,concat(0x7e,version()))',
    '/products.php?id=1;WAITFOR%20DELAY%20%270:0:5%27--',
    '/index.php?page=1%22%20oR%20%22a%22%3D%22a',
    '/list?sort=(SELECT%20CASE%20WHEN%20(1=1)%20THEN%201%20ELSE%200%20END)',
    '/item?id=1%27%20AnD%20bEnChMaRk(5000000,MD5(1))--',
    '/user?name=admin%27--',
  ];
  for (const [h, n] of [
    [4.4, 12],
    [18.2, 8],
    [31.9, 15],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const ua = pick(r, BROWSERS);
    campaign('http-sqli', ip, spread(c, n, at(h), at(h) + 10 * MIN), (t, i) =>
      req(t, ip, 'GET', SQLI[i % SQLI.length] as string, r() < 0.6 ? 200 : 500, ua),
    );
  }
  // sqlmap by its user agent; its first requests carry no payload at all.
  for (const [h, n] of [
    [5.2, 25],
    [27.3, 40],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const ua = 'sqlmap/1.7.2#stable (https://sqlmap.org)';
    campaign('http-sqlmap-ua', ip, spread(c, n, at(h), at(h) + 8 * MIN), (t, i) =>
      req(
        t,
        ip,
        'GET',
        i < 6 ? `/products.php?id=${i + 1}` : `/products.php?id=1%29%20AND%20${1000 + i}%3D${1000 + i}%20AND%20%28${i}%3D${i}`,
        200,
        ua,
      ),
    );
  }
  // WordPress login brute force (a failed wp-login answers 200) and xmlrpc.php.
  for (const [h, n, mins, path] of [
    [3.6, 300, 20, '/wp-login.php'],
    [23.8, 180, 40, '/wp-login.php'],
    [8.3, 250, 30, '/xmlrpc.php'],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const ua =
      path === '/xmlrpc.php'
        ? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:77.0) Gecko/20100101 Firefox/77.0'
        : pick(r, BROWSERS);
    campaign('http-wp-bf', ip, spread(c, n, at(h), at(h) + mins * MIN), (t) =>
      req(t, ip, 'POST', path, 200, ua, path === '/wp-login.php' ? `${site}/wp-login.php` : '-'),
    );
  }

  // Normal traffic.
  const nVisitors = Math.max(200, Math.round(lines / 30));
  const visitors = Array.from({ length: nVisitors }, () => ({
    ip: r() < 0.1 ? v6addr(r, c.plan.v6net('legit')) : c.plan.v4('legit'),
    ua: pick(r, BROWSERS),
  }));
  const nextVisitor = zipfPicker(r, visitors, 0.5);
  const editors = people(c, 20, userNames(r, 20, new Set()));
  const crawlers = CRAWLERS.flatMap((k) => Array.from({ length: 6 }, (_, i) => ({ ua: k.ua, ip: `${k.net}.${10 + i * 7}` })));
  const jetpack = ['192.0.84.100', '192.0.84.247'];
  const monitors = [c.plan.v4('legit'), c.plan.v4('legit')];
  const page = (): string => {
    const x = r();
    if (x < 0.15) return '/';
    if (x < 0.55) return `/blog/${slug()}/`;
    if (x < 0.75) return `/products/${pick(r, WORDS)}/`;
    if (x < 0.85) return `/docs/${pick(r, WORDS)}/${pick(r, WORDS)}`;
    if (x < 0.98) return `/search?q=${pick(r, WORDS)}+${pick(r, WORDS)}`;
    return `/search?q=${pick(r, TRICKY_SEARCHES)}`;
  };

  drive(
    c,
    file,
    lines,
    (t) => {
      const x = r();
      if (x < 0.8) {
        // A page view with its assets; now and then a missing image or a stale link (real browsers make 404s).
        const v = nextVisitor();
        const p = page();
        const stale = r() < 0.01;
        req(t, v.ip, 'GET', p, stale ? 404 : 200, v.ua, r() < 0.5 ? 'https://www.google.com/' : `${site}/`);
        if (stale) return;
        const assets = int(r, 0, 4);
        for (let i = 0; i < assets; i++)
          req(t + 100 + i * 50, v.ip, 'GET', pick(r, STATIC), r() < 0.6 ? 200 : 304, v.ua, `${site}${p}`);
        if (r() < 0.03)
          req(
            t + 300,
            v.ip,
            'GET',
            pick(r, ['/favicon.ico', '/apple-touch-icon.png', '/images/old-banner.jpg']),
            404,
            v.ua,
            `${site}${p}`,
          );
        if (r() < 0.1) req(t + 400, v.ip, 'GET', `/api/v1/items?page=${int(r, 1, 20)}`, 200, v.ua, `${site}${p}`);
      } else if (x < 0.9) {
        const k = pick(r, crawlers);
        const p = r() < 0.02 ? '/robots.txt' : page();
        req(t, k.ip, 'GET', p, r() < 0.04 ? 404 : r() < 0.05 ? 301 : 200, k.ua);
      } else if (x < 0.975) {
        // WordPress editors: a login (sometimes after a mistyped password), then dashboard heartbeats.
        const e = pick(r, editors);
        const ip = personIp(c, e, t);
        const ua = BROWSERS[e.name.length % BROWSERS.length] as string;
        let tt = t;
        if (r() < 0.15) {
          const bad = typos(c, e, t, 0.3);
          for (let i = 0; i < bad; i++) {
            req(tt, ip, 'POST', '/wp-login.php', 200, ua, `${site}/wp-login.php`);
            legitFailure(c, ip, tt);
            tt += int(r, 5, 20) * 1000;
          }
          req(tt, ip, 'POST', '/wp-login.php', 302, ua, `${site}/wp-login.php`, 0);
          req(tt + 500, ip, 'GET', '/wp-admin/', 200, ua, `${site}/wp-login.php`);
        }
        const beats = int(r, 1, 4);
        for (let i = 0; i < beats; i++)
          req(
            tt + 1000 + i * 60_000,
            ip,
            'POST',
            '/wp-admin/admin-ajax.php',
            200,
            ua,
            `${site}/wp-admin/post.php?post=${int(r, 10, 900)}&action=edit`,
          );
      } else if (x < 0.985) {
        req(
          t,
          pick(r, jetpack),
          'POST',
          `/xmlrpc.php?for=jetpack&token=${alnum(r, 12)}&timestamp=${Math.floor(t / 1000)}`,
          200,
          'Jetpack by WordPress.com',
        );
      } else {
        req(t, pick(r, monitors), 'GET', '/healthz', 200, r() < 0.5 ? 'UptimeRobot/2.0' : 'curl/8.5.0');
      }
    },
    (e) => e.text.replace('\x00', clfTime(e.t)),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// mail (postfix + dovecot)

function mailLog(c: Ctx, file: LineFile, lines: number): void {
  const r = c.r;
  const at = (h: number): number => c.start + h * HOUR;
  const lip = '10.20.0.25';
  const host = 'mx1';
  const log = (t: number, proc: string, msg: string, pid = nextPid(c)): void => c.tl.push(t, `${host} ${proc}[${pid}]: ${msg}`);
  const dove = (t: number, msg: string): void => c.tl.push(t, `${host} dovecot: ${msg}`);
  const session = (): string => alnum(r, 16);
  const qid = (): string => `4N${alnum(r, 8).toUpperCase()}`;
  const domain = 'example-hosting.test';

  const saslConn = (t: number, ip: string, name: string, svc: string): void => {
    const pid = nextPid(c);
    const d = `postfix/${svc}/smtpd`;
    log(t, d, `connect from ${name}[${ip}]`, pid);
    log(t + 1500, d, `warning: ${name}[${ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`, pid);
    log(t + 1600, d, `lost connection after AUTH from ${name}[${ip}]`, pid);
    log(t + 1600, d, `disconnect from ${name}[${ip}] ehlo=1 auth=0/1 commands=1/2`, pid);
  };
  const imapFail = (t: number, ip: string, user: string, n: number, proto = 'imap'): void =>
    dove(
      t,
      `${proto}-login: Disconnected (auth failed, ${n} attempts in ${2 * n + int(r, 0, 3)} secs): user=<${user}>, method=PLAIN, rip=${ip}, lip=${lip}, TLS, session=<${session()}>`,
    );

  // SASL brute force on submission/smtps.
  for (const [h, n, mins, svc] of [
    [1.0, 300, 40, 'submission'],
    [12.4, 500, 60, 'smtps'],
    [30.2, 220, 30, 'submission'],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const ts = spread(c, n, at(h), at(h) + mins * MIN);
    for (const t of ts) saslConn(t, ip, 'unknown', svc);
    addAttacker(c, {
      ip,
      kind: 'mail-sasl-bf',
      log: 'mail',
      campaign: `mail-sasl-bf-${ip}`,
      attempts: n,
      first: ts[0] as number,
      last: ts[n - 1] as number,
    });
  }
  // IMAP / POP3 brute force: connections of 1–3 attempts each.
  for (const [h, n, mins, proto] of [
    [4.2, 150, 25, 'imap'],
    [18.7, 400, 50, 'imap'],
    [36.1, 200, 30, 'pop3'],
  ] as const) {
    const ip = c.plan.v4('attacker');
    const ts = spread(c, n, at(h), at(h) + mins * MIN);
    let attempts = 0;
    for (const t of ts) {
      const k = int(r, 1, 3);
      attempts += k;
      imapFail(t, ip, `${pick(r, ['info', 'admin', 'sales', 'office', 'contact', 'test'])}@${domain}`, k, proto);
    }
    addAttacker(c, {
      ip,
      kind: 'mail-imap-bf',
      log: 'mail',
      campaign: `mail-imap-bf-${ip}`,
      attempts,
      first: ts[0] as number,
      last: ts[n - 1] as number,
    });
  }

  // Normal traffic.
  const nUsers = Math.max(60, Math.round(lines / 300));
  const users = people(
    c,
    nUsers,
    userNames(r, nUsers, new Set()).map((u) => `${u}@${domain}`),
  );
  const nextUser = zipfPicker(r, users, 0.6);
  const MTAS = [
    ['mail-wr1-f54.google.com', '209.85.221.54'],
    ['mail-wm1-f41.google.com', '209.85.128.41'],
    ['mail-wm1-f47.google.com', '209.85.128.47'],
    ['mail-vi1eur05on2071.outbound.protection.outlook.com', '40.92.19.71'],
    ['mail-am6eur05on2088.outbound.protection.outlook.com', '40.92.19.88'],
  ] as const;
  const rdns = (ip: string): string => (ip.includes(':') ? 'unknown' : `dyn-${ip.replaceAll('.', '-')}.isp.test`);

  drive(
    c,
    file,
    lines,
    (t) => {
      const x = r();
      if (x < 0.3) {
        // Inbound delivery.
        const [name, ip] = pick(r, MTAS);
        const pid = nextPid(c);
        const q = qid();
        const u = nextUser();
        log(t, 'postfix/smtpd', `connect from ${name}[${ip}]`, pid);
        log(t + 300, 'postfix/smtpd', `${q}: client=${name}[${ip}]`, pid);
        log(t + 400, 'postfix/cleanup', `${q}: message-id=<${alnum(r, 20)}@${name.split('.').slice(-2).join('.')}>`);
        log(
          t + 500,
          'postfix/qmgr',
          `${q}: from=<${alnum(r, 8).toLowerCase()}@gmail.com>, size=${int(r, 2000, 400_000)}, nrcpt=1 (queue active)`,
          812,
        );
        log(
          t + 600,
          'postfix/smtpd',
          `disconnect from ${name}[${ip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7`,
          pid,
        );
        log(
          t + 900,
          'postfix/lmtp',
          `${q}: to=<${u.name}>, relay=mail.${domain}[private/dovecot-lmtp], delay=0.5, delays=0.1/0/0.1/0.3, dsn=2.0.0, status=sent (250 2.0.0 <${u.name}> ${alnum(r, 22)} Saved)`,
        );
        log(t + 900, 'postfix/qmgr', `${q}: removed`, 812);
      } else if (x < 0.85) {
        // A mail client logs in (sometimes after a wrong password), later logs out.
        const u = nextUser();
        const ip = personIp(c, u, t);
        const proto = r() < 0.9 ? 'imap' : 'pop3';
        const bad = typos(c, u, t, 0.03);
        let tt = t;
        for (let i = 0; i < bad; i++) {
          imapFail(tt, ip, u.name, 1, proto);
          legitFailure(c, ip, tt);
          tt += int(r, 10, 90) * 1000;
        }
        const mpid = nextPid(c);
        const s = session();
        dove(
          tt,
          `${proto}-login: Login: user=<${u.name}>, method=PLAIN, rip=${ip}, lip=${lip}, mpid=${mpid}, TLS, session=<${s}>`,
        );
        dove(
          clamp(c, tt + int(r, 1, 90) * MIN),
          `${proto}(${u.name})<${mpid}><${s}>: Logged out in=${int(r, 50, 900)} out=${int(r, 500, 90_000)} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0`,
        );
      } else {
        // Outbound mail through submission, with SASL (sometimes after a failure).
        const u = nextUser();
        const ip = personIp(c, u, t);
        const name = rdns(ip);
        const pid = nextPid(c);
        const q = qid();
        log(t, 'postfix/submission/smtpd', `connect from ${name}[${ip}]`, pid);
        if (typos(c, u, t, 0.02) > 0) {
          log(
            t + 800,
            'postfix/submission/smtpd',
            `warning: ${name}[${ip}]: SASL PLAIN authentication failed: authentication failure`,
            pid,
          );
          legitFailure(c, ip, t);
        }
        log(t + 1200, 'postfix/submission/smtpd', `${q}: client=${name}[${ip}], sasl_method=PLAIN, sasl_username=${u.name}`, pid);
        log(t + 1300, 'postfix/cleanup', `${q}: message-id=<${alnum(r, 20)}@${domain}>`);
        log(t + 1400, 'postfix/qmgr', `${q}: from=<${u.name}>, size=${int(r, 1000, 90_000)}, nrcpt=1 (queue active)`, 812);
        log(
          t + 1500,
          'postfix/submission/smtpd',
          `disconnect from ${name}[${ip}] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8`,
          pid,
        );
        log(
          t + 2500,
          'postfix/smtp',
          `${q}: to=<${alnum(r, 7).toLowerCase()}@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.102.27]:25, delay=1.1, delays=0.1/0/0.4/0.6, dsn=2.0.0, status=sent (250 2.0.0 OK ${int(r, 1_700_000_000, 1_800_000_000)} ${alnum(r, 12)} - gsmtp)`,
        );
        log(t + 2500, 'postfix/qmgr', `${q}: removed`, 812);
      }
    },
    (e) => `${syslogTime(e.t)} ${e.text}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Writes `sshd.log`, `nginx.log`, `mail.log` (each exactly `lines` lines, time-ordered) and `truth.json` into `dir`,
 * deterministically from `seed`: the same options always produce the same bytes. Returns the ground truth.
 */
export function generateLogs(options: GenerateOptions): Truth {
  const lines = options.lines ?? 1_000_000;
  const seed = options.seed ?? 1;
  const start = options.start ?? DEFAULT_START;
  const end = start + (options.hours ?? 48) * HOUR;
  mkdirSync(options.dir, { recursive: true });
  const truth: Truth = {
    seed,
    linesPerLog: lines,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    files: { sshd: 'sshd.log', nginx: 'nginx.log', mail: 'mail.log' },
    attackers: [],
    neutral: { sshd: [], nginx: [], mail: [] },
    legit: {} as Truth['legit'],
  };
  // One address plan for all three logs: an attacker in one log is never a legitimate client in another.
  const plan = new AddressPlan(createRng(seed * 31 + 7));
  const makers: Record<LogName, (c: Ctx, f: LineFile, n: number) => void> = { sshd: sshdLog, nginx: nginxLog, mail: mailLog };
  LOG_NAMES.forEach((name, i) => {
    const c: Ctx = {
      r: createRng(seed * 1000 + i),
      tl: new Timeline(),
      start,
      end,
      plan,
      attackers: truth.attackers,
      neutral: new Set(),
      legitFailures: new Map(),
      pid: 1000 + i * 1000,
    };
    const f = new LineFile(join(options.dir, truth.files[name]));
    makers[name](c, f, lines);
    f.close();
    truth.neutral[name] = [...c.neutral];
    truth.legit[name] = {
      ipsWithAuthFailures: c.legitFailures.size,
      maxAuthFailuresPerIpPer24h: maxInWindow(c.legitFailures, 24 * HOUR),
      maxAuthFailuresPerIpPer10m: maxInWindow(c.legitFailures, 10 * MIN),
    };
  });
  writeFileSync(join(options.dir, 'truth.json'), JSON.stringify(truth, null, 1));
  return truth;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const t0 = performance.now();
  const truth = generateLogs({
    dir: arg('--out') ?? 'threat-logs',
    lines: Number(arg('--lines') ?? 1_000_000),
    seed: Number(arg('--seed') ?? 1),
  });
  process.stderr.write(
    `generated ${LOG_NAMES.length} × ${truth.linesPerLog} lines, ${truth.attackers.length} attacker IPs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
