/**
 * Parser micro-benchmark: `node --import tsx bench/threats/parse.ts` (PARSE_BENCH_LINES, default 1,000,000).
 *
 * Generates a realistic mix of lines per parser (attack and normal traffic, varied addresses and users), then times
 * the parse function alone on one core: lines/s per parser, median of 3 runs after a warm-up run (sshd and nginx on
 * N lines, the other parsers on N/4). Targets: well above 1,000,000 lines/s for sshd, about 1,000,000 for nginx (the
 * whole pipeline must do 200,000 lines/s). Last, the address validator against `net.isIP` on the same addresses.
 */
import { isIP } from 'node:net';
import { loadavg } from 'node:os';
import { createLineParser, readIp, type LineParserOptions } from '../../src/modules/threats/parse/index.ts';

const N = Number(process.env['PARSE_BENCH_LINES'] ?? 1_000_000);
const NOW = Date.parse('2026-11-27T12:00:00Z');

const ip = (i: number): string => `${((i * 7) % 223) + 1}.${(i * 13) % 256}.${(i * 31) % 256}.${(i % 254) + 1}`;
const users = ['root', 'admin', 'ubuntu', 'test', 'oracle', 'postgres', 'git', 'user1', 'admin test'];
const clock = (i: number): string => {
  const s = Math.floor(i / 50); // 50 lines a second, in order
  const hh = String(Math.floor(s / 3600) % 24).padStart(2, '0');
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
};

function sshdLine(i: number): string {
  const u = users[i % users.length] as string;
  const head = `Nov 26 ${clock(i)} web1 sshd[${1000 + (i % 5000)}]: `;
  switch (i % 8) {
    case 0:
      return `${head}Invalid user ${u} from ${ip(i)} port ${40000 + (i % 20000)}`;
    case 1:
      return `${head}Failed password for invalid user ${u} from ${ip(i)} port ${40000 + (i % 20000)} ssh2`;
    case 2:
      return `${head}Failed password for ${u} from ${ip(i)} port ${40000 + (i % 20000)} ssh2`;
    case 3:
      return `${head}Connection closed by invalid user ${u} ${ip(i)} port ${40000 + (i % 20000)} [preauth]`;
    case 4:
      return `${head}Received disconnect from ${ip(i)} port ${40000 + (i % 20000)}:11: Bye Bye [preauth]`;
    case 5:
      return `${head}Accepted publickey for deploy from ${ip(i)} port 50022 ssh2: ED25519 SHA256:abcdefghijklmnop`;
    case 6:
      return `${head}pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip(i)}  user=${u}`;
    default:
      return `${head}Connection closed by ${ip(i)} port ${40000 + (i % 20000)} [preauth]`;
  }
}

const paths = ['/', '/wp-login.php', '/xmlrpc.php', '/index.php?p=123', '/static/app.4f3a.js', '/.env', '/api/v1/items/42'];
const agents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.32.3',
];
function nginxLine(i: number): string {
  const method = i % 5 === 1 ? 'POST' : 'GET';
  const status = [200, 200, 404, 301, 403][i % 5] as number;
  const t = clock(i);
  return `${ip(i)} - - [26/Nov/2026:${t} +0100] "${method} ${paths[i % paths.length] as string} HTTP/1.1" ${status} ${(i * 37) % 50000} "https://example.com/" "${agents[i % agents.length] as string}"`;
}

function measure(name: string, options: LineParserOptions, lines: string[]): void {
  // Wall time and this process's CPU time: on a shared machine the CPU figure is the steadier one.
  const wall: number[] = [];
  const cpu: number[] = [];
  let parsed = 0;
  for (let run = 0; run < 4; run++) {
    const parse = createLineParser(options);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) parse(lines[i] as string);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const used = process.cpuUsage(c0);
    parsed = parse.stats.parsed;
    if (run > 0) {
      wall.push(lines.length / seconds);
      cpu.push(lines.length / ((used.user + used.system) / 1e6));
    }
  }
  const median = (xs: number[]): string => Math.round(xs.sort((a, b) => a - b)[1] as number).toLocaleString('en');
  console.log(
    `${name.padEnd(14)} ${lines.length.toLocaleString('en').padStart(9)} lines  ${median(wall).padStart(9)} lines/s wall, ` +
      `${median(cpu).padStart(9)} lines/CPU-s (medians of 3); events ${parsed.toLocaleString('en')}`,
  );
}

const OTHER = Math.max(1, Math.floor(N / 4));
const otherLines: Record<string, (i: number) => string> = {
  'apache vhost': (i) =>
    `shop${i % 7}.example:443 ${ip(i)} - - [26/Nov/2026:${clock(i)} +0100] "GET ${paths[i % paths.length] as string} HTTP/1.1" 200 ${i % 9000} "-" "${agents[i % agents.length] as string}"`,
  postfix: (i) =>
    `Nov 26 ${clock(i)} mx1 postfix/smtpd[${4000 + (i % 900)}]: warning: unknown[${ip(i)}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`,
  dovecot: (i) =>
    `Nov 26 ${clock(i)} mx1 dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${users[i % users.length] as string}>, method=PLAIN, rip=${ip(i)}, lip=192.0.2.1, TLS, session=<k${i}>`,
  'ftp (proftpd)': (i) =>
    `Nov 26 ${clock(i)} ftp1 proftpd[${5000 + (i % 900)}]: ftp1.example (${ip(i)}[${ip(i)}]) - USER ${users[i % users.length] as string} (Login failed): Incorrect password`,
  nftables: (i) =>
    `Nov 26 ${clock(i)} fw1 kernel: [123456.789] nft-drop: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${ip(i)} DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=${i % 65536} DF PROTO=TCP SPT=${1024 + (i % 60000)} DPT=${[22, 23, 80, 443, 3389][i % 5] as number} WINDOW=64240 RES=0x00 SYN URGP=0`,
};

/** The address check alone: our validator on a slice against node:net isIP on a substring. */
function ipCheck(): void {
  const addresses = Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? `2001:db8:${i}::${i % 97}` : ip(i)));
  const text = addresses.map((a) => `from ${a} port 22`);
  const checks: [string, (t: string) => boolean][] = [
    ['readIp (slice)', (t) => readIp(t, 5, t.length - 8) !== undefined],
    ['net.isIP (substring)', (t) => isIP(t.slice(5, t.length - 8)) !== 0],
  ];
  for (const [name, fn] of checks) {
    let ok = 0;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < 2000; r++) for (const t of text) if (fn(t)) ok++;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${name.padEnd(22)} ${Math.round(ok / seconds).toLocaleString('en')} addresses/s`);
  }
}

console.log(
  `node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const sshd = Array.from({ length: N }, (_, i) => sshdLine(i));
measure('sshd (auto)', { type: 'auto', now: () => NOW }, sshd);
measure('sshd (fixed)', { type: 'sshd', now: () => NOW }, sshd);
const nginx = Array.from({ length: N }, (_, i) => nginxLine(i));
measure('nginx (auto)', { type: 'auto', now: () => NOW }, nginx);
measure('nginx (fixed)', { type: 'nginx', now: () => NOW }, nginx);
for (const [name, gen] of Object.entries(otherLines)) {
  measure(
    name,
    { type: 'auto', now: () => NOW },
    Array.from({ length: OTHER }, (_, i) => gen(i)),
  );
}
ipCheck();
