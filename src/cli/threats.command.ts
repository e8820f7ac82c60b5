import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Command } from 'commander';
import { parseDuration } from '../modules/threats/threats.config.ts';
import {
  createReplay,
  importFail2banFilter,
  LOG_TYPES,
  type LogType,
  type ReplayResult,
  type ThreatService,
} from '../modules/threats/index.ts';
import { ApiClient, ApiProblem, DEFAULT_SERVER, tokenFromEnv, type ClientOptions } from './api-client.ts';
import { printProblem } from './apply.command.ts';

/** Longest line kept (the rest of a longer line is dropped; the parsers cut at 16 KiB anyway). */
const MAX_CARRY = 1024 * 1024;

/**
 * Call `onLine` for every line of a file, fast: big reads and one split per chunk (readline is several times slower on
 * million-line logs). Invalid UTF-8 becomes U+FFFD; a line without its newline at the end of the file still counts.
 */
export function forEachLine(path: string, onLine: (line: string) => void): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  const dec = new StringDecoder('utf8');
  let carry = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let text = dec.write(buf.subarray(0, n));
      if (carry.length >= MAX_CARRY) {
        // Inside an over-long line: keep its first MAX_CARRY characters, drop the rest up to its newline.
        const nl = text.indexOf('\n');
        if (nl === -1) continue;
        onLine(carry);
        carry = '';
        text = text.slice(nl + 1);
      } else text = carry + text;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (end > start) onLine(text.slice(start, Math.min(end, start + MAX_CARRY)));
        start = nl + 1;
      }
      carry = text.slice(start, start + MAX_CARRY);
    }
    const rest = carry + dec.end();
    if (rest.length > 0) onLine(rest);
  } finally {
    closeSync(fd);
  }
}

interface ReplayOptions {
  type: string;
  feeds?: string;
  scenarios?: string[];
  allowlist?: string;
  json?: boolean;
}

/** A replay's answer for a person: like fail2ban-regex, a summary first, then what fired and what would be banned. */
export function renderReplay(r: ReplayResult, seconds: number): string {
  const s = r.stats;
  const out: string[] = [];
  out.push(
    `Lines: ${s.lines} (${s.events} events, ${s.ignored} ignored, ${s.unparsable} not understood) in ${seconds.toFixed(2)} s` +
      (seconds > 0 ? ` — ${Math.round(s.lines / seconds).toLocaleString('en')} lines/s` : ''),
  );
  if (s.listedHits)
    out.push(
      `Threat-intel hits: ${Object.entries(s.listedHitsByFeed)
        .map(([f, n]) => `${f} ${n}`)
        .join(', ')}`,
    );
  for (const e of s.scenarioErrors) out.push(`Scenario not loaded: ${e}`);
  out.push('', `Alerts: ${r.alerts.length}${s.suppressed ? ` (+${s.suppressed} overflows counted into existing alerts)` : ''}`);
  const byScenario = new Map<string, number>();
  for (const a of r.alerts) byScenario.set(a.scenario, (byScenario.get(a.scenario) ?? 0) + 1);
  for (const [sc, n] of [...byScenario].sort((a, b) => b[1] - a[1])) out.push(`  ${sc.padEnd(28)} ${n}`);
  out.push('', `Decisions: ${r.decisions.length}`);
  for (const d of r.decisions.slice(0, 200))
    out.push(
      `  ${d.value.padEnd(28)} ${d.scenario.padEnd(24)} ${d.from} → ${d.until}${d.offence > 1 ? ` (offence ${d.offence})` : ''}`,
    );
  if (r.decisions.length > 200) out.push(`  … ${r.decisions.length - 200} more (use --json)`);
  for (const x of r.refused) out.push(`  not banned (allowlisted by ${x.allowedBy}): ${x.value} ${x.scenario}`);
  return `${out.join('\n')}\n`;
}

function client(opts: ClientOptions): ApiClient {
  return new ApiClient(opts, tokenFromEnv());
}

function withServerOptions(c: Command): Command {
  return c
    .option('--server <url>', 'the Skjold server', DEFAULT_SERVER)
    .option('--ca <file>', 'trust this CA (or self-signed certificate) PEM file')
    .option('--fingerprint <sha256>', 'trust only the certificate with this SHA-256 fingerprint')
    .option('--data-dir <dir>', 'trust <dir>/tls-cert.pem when neither --ca nor --fingerprint is given (default ./data)')
    .addHelpText('after', '\nThe API token is read from the environment variable SKJOLD_TOKEN (never from a flag).');
}

async function api<T>(opts: ClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T | undefined> {
  try {
    return await client(opts).request<T>(method, path, body);
  } catch (e) {
    if (!(e instanceof ApiProblem)) throw e;
    printProblem((s) => process.stderr.write(s), e);
    process.exitCode = 1;
    return undefined;
  }
}

/** `skjold threats …`: replay logs offline, and ban, unban and list decisions on a server. */
export function registerThreats(program: Command): void {
  const threats = program.command('threats').description('Network inspection: replay logs, ban and unban, list decisions');
  threats
    .command('replay')
    .description('Run log files through the detection pipeline offline and print the alerts and decisions (like fail2ban-regex)')
    .argument('<files...>', 'log files (syslog, access logs, …)')
    .option('--type <type>', `parser for every line: ${LOG_TYPES.join(', ')}`, 'auto')
    .option('--feeds <dir>', 'a directory of threat-intel feed files to look sources up in')
    .option('--scenarios <files...>', 'extra scenario YAML files')
    .option('--allowlist <cidrs>', 'comma-separated networks never banned')
    .option('--json', 'print the whole result as JSON')
    .action(async (files: string[], opts: ReplayOptions) => {
      if (!(LOG_TYPES as readonly string[]).includes(opts.type))
        throw new Error(`--type takes one of ${LOG_TYPES.join(', ')} (got "${opts.type}")`);
      const started = process.hrtime.bigint();
      // RFC 3164 lines carry no year: an old file is dated by when it was last written, not by today.
      const written = Math.max(...files.map((f) => statSync(f).mtimeMs));
      const replay = createReplay({
        now: () => written,
        feedsDir: opts.feeds,
        scenarioFiles: opts.scenarios,
        allowlist: opts.allowlist
          ?.split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      });
      const type = opts.type as LogType;
      for (const f of files) forEachLine(f, (line) => replay.process(line, type));
      const r = await replay.finish();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : renderReplay(r, seconds));
      if (r.stats.scenarioErrors.length) process.exitCode = 1;
    });
  threats
    .command('import-fail2ban')
    .description('Turn a fail2ban filter (failregex with <HOST>) into a Skjold scenario YAML for SKJOLD_THREATS_SCENARIOS_DIR')
    .argument('<filter>', 'the filter file, e.g. /etc/fail2ban/filter.d/sshd.conf')
    .option('--name <name>', 'scenario name (default: f2b-<file name>)')
    .option('--service <service>', 'what the lines concern: ssh, http, smtp, imap, pop3, ftp, firewall', 'ssh')
    .option('--max-retry <n>', 'fail2ban maxretry', '5')
    .option('--find-time <d>', 'fail2ban findtime, e.g. 10m', '10m')
    .option('--ban-time <d>', 'ban duration, e.g. 4h, or "none" to alert only', '4h')
    .option('--out <file>', 'write the YAML here instead of stdout')
    .action(
      (
        filter: string,
        opts: { name?: string; service: string; maxRetry: string; findTime: string; banTime: string; out?: string },
      ) => {
        const name = opts.name ?? `f2b-${basename(filter).replace(/\.(conf|local)$/, '')}`;
        const r = importFail2banFilter(readFileSync(filter, 'utf8'), {
          name,
          service: opts.service as ThreatService,
          maxRetry: Number(opts.maxRetry),
          findTime: opts.findTime,
          banTime: opts.banTime,
          includeDir: dirname(filter),
        });
        for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
        for (const e of r.errors) process.stderr.write(`not imported: ${e.kind} #${e.index + 1}: ${e.message}\n`);
        for (const e of r.scenarioErrors) process.stderr.write(`scenario problem: ${e.path} ${e.message}\n`);
        process.stderr.write(`imported ${r.imported.failregex} failregex and ${r.imported.ignoreregex} ignoreregex\n`);
        if (!r.scenario) {
          process.exitCode = 1;
          return;
        }
        if (opts.out) writeFileSync(opts.out, r.yaml);
        else process.stdout.write(r.yaml);
      },
    );
  withServerOptions(
    threats
      .command('ban')
      .description('Ban an address or network on the server (the allowlist still wins)')
      .argument('<target>', 'IP address or CIDR network')
      .requiredOption('--reason <text>', 'why (kept with the decision and in the audit log)')
      .option('--duration <d>', 'how long, e.g. 90m, 4h, 7d', '4h'),
  ).action(async (target: string, opts: ClientOptions & { reason: string; duration: string }) => {
    if (!/^\d+[smhd]$/.test(opts.duration)) throw new Error(`--duration takes e.g. 90m, 4h or 7d (got "${opts.duration}")`);
    const d = await api<{ value: string; until: number }>(opts, 'POST', '/api/v1/threats/decisions', {
      target,
      reason: opts.reason,
      durationSeconds: parseDuration(opts.duration),
    });
    if (d) process.stdout.write(`banned ${d.value} until ${new Date(d.until).toISOString()}\n`);
  });
  withServerOptions(
    threats.command('unban').description('End every active decision on an address or network').argument('<target>', 'IP or CIDR'),
  ).action(async (target: string, opts: ClientOptions) => {
    const r = await api<{ removed: { value: string }[] }>(opts, 'POST', '/api/v1/threats/unban', { target });
    if (!r) return;
    if (r.removed.length === 0) {
      process.stderr.write(`no active decision on ${target}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`unbanned ${target} (${r.removed.length} decision${r.removed.length === 1 ? '' : 's'} ended)\n`);
  });
  withServerOptions(
    threats
      .command('decisions')
      .description('List decisions (active by default)')
      .option('--state <state>', 'active, expired, removed or all', 'active')
      .option('--search <text>', 'address, scenario or reason contains this')
      .option('--json', 'print JSON'),
  ).action(async (opts: ClientOptions & { state: string; search?: string; json?: boolean }) => {
    const q = new URLSearchParams({ state: opts.state, limit: '1000', ...(opts.search ? { q: opts.search } : {}) });
    const r = await api<{ items: { value: string; scenario: string; until: number; origin: string }[] }>(
      opts,
      'GET',
      `/api/v1/threats/decisions?${q.toString()}`,
    );
    if (!r) return;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(r.items, null, 2)}\n`);
      return;
    }
    for (const d of r.items)
      process.stdout.write(
        `${d.value.padEnd(28)} ${d.origin.padEnd(7)} ${d.scenario.padEnd(24)} until ${new Date(d.until).toISOString()}\n`,
      );
  });
}
