import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ThreatEvent, ThreatKind, ThreatService } from '../events.ts';
import { createLineParser } from '../parse/index.ts';
import { createDetector } from './detector.ts';
import { importFail2banFilter } from './fail2ban.import.ts';
import type { Scenario } from './scenario.ts';
import { builtinScenarios, loadScenarioText } from './scenarios.loader.ts';

/** Shapes that make backtracking engines explode; no timing assertion, vitest's timeout is the backstop. */
const HOSTILE = [
  'a'.repeat(100_000),
  'a'.repeat(100_000) + '!',
  '/'.repeat(50_000) + '!',
  '%'.repeat(60_000),
  '%2'.repeat(30_000) + '%',
  '('.repeat(40_000),
  '<'.repeat(20_000) + 'script',
  ' '.repeat(50_000) + 'x',
  '../'.repeat(20_000),
  "' or ".repeat(10_000),
  'union '.repeat(10_000) + 'selec',
  '\u00e6'.repeat(30_000),
];

/** Log lines carrying the hostile text where each parser puts user-controlled input. */
function hostileLines(s: string): string[] {
  return [
    `Nov 27 10:00:01 web1 sshd[1]: Invalid user ${s} from 203.0.113.9 port 4242`,
    `Nov 27 10:00:01 web1 sshd[1]: Failed password for ${s} from 203.0.113.9 port 4242 ssh2`,
    `203.0.113.9 - - [27/Nov/2026:10:00:01 +0000] "GET /${s} HTTP/1.1" 404 1 "-" "${s}"`,
    `203.0.113.9 - - [27/Nov/2026:10:00:01 +0000] "GET /?q=${s} HTTP/1.1" 200 1 "-" "Mozilla/5.0"`,
    `Nov 27 10:00:01 mail1 dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${s}>, method=PLAIN, rip=203.0.113.9, lip=192.0.2.5`,
    s,
  ];
}

const SERVICES: ThreatService[] = ['ssh', 'http', 'smtp', 'imap', 'pop3', 'ftp', 'firewall'];
const KINDS: ThreatKind[] = ['auth_failed', 'invalid_user', 'auth_success', 'preauth_close', 'request', 'drop'];

function userScenario(): Scenario {
  const r = loadScenarioText(
    `
name: user-redos
filter:
  any:
    - path: { re2: '(a+)+$' }
    - userAgent: { re2: '(x+x+)+y' }
    - raw: { re2: '^(/+)+!$', caseSensitive: true }
    - user: { re2: '(.*a){12}' }
type: leaky
capacity: 1000000
leakSpeed: 1s
`,
    'user.yaml',
  );
  if (!r.scenario) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

function importedScenario(): Scenario {
  const path = '/etc/fail2ban/filter.d/sshd.conf';
  const text = existsSync(path)
    ? readFileSync(path, 'utf8')
    : '[Definition]\nfailregex = ^%(__prefix_line)s(?:Invalid|Illegal) user .* from <HOST>(?: port \\d+)?\\s*$\n';
  const r = importFail2banFilter(text, { name: 'f2b-sshd' });
  if (!r.scenario) throw new Error('sshd filter did not import');
  return r.scenario;
}

describe('no pattern backtracks without bound', () => {
  it('every built-in, an imported fail2ban and a user scenario run ReDoS-shaped input to completion', () => {
    const scenarios = [...builtinScenarios(), importedScenario(), userScenario()];
    let overflows = 0;
    const d = createDetector({ scenarios, onOverflow: () => overflows++ });
    const parse = createLineParser({ type: 'auto', timeZone: 'UTC', now: () => Date.UTC(2026, 10, 28) });
    let t = Date.UTC(2026, 10, 27, 10);
    for (const s of HOSTILE) {
      // As raw lines through the parser and the line scenarios.
      for (const line of hostileLines(s)) {
        const r = parse(line);
        if (r.ok) d.push(r.event);
        d.pushLine(line, t, 'web1');
      }
      // As events with the text in every field, for every service and kind, so every filter sees it.
      for (const service of SERVICES) {
        for (const kind of KINDS) {
          const e: ThreatEvent = {
            time: t++,
            ip: '203.0.113.9',
            service,
            kind,
            parser: 'test',
            host: s,
            user: s,
            method: 'POST',
            path: s,
            status: 404,
            userAgent: s,
            dstPort: 22,
            listedBy: ['feed'],
            environment: 'customer',
            line: s,
          };
          d.push(e);
        }
      }
    }
    const st = d.stats();
    expect(st.events).toBeGreaterThanOrEqual(HOSTILE.length * SERVICES.length * KINDS.length);
    expect(st.poured).toBeGreaterThan(0);
    expect(overflows).toBeGreaterThan(0);
  });

  it('runs a catastrophic user pattern linearly and matches what it should', () => {
    const out: string[] = [];
    const d = createDetector({ scenarios: [userScenario()], onOverflow: (o) => out.push(o.key) });
    const e: ThreatEvent = {
      time: 0,
      ip: '203.0.113.9',
      service: 'http',
      kind: 'request',
      parser: 'test',
      // Paths are at most 8 KiB (matchers cut text at 16 KiB, which would drop the '!').
      path: 'a'.repeat(8000) + '!',
      line: '-',
    };
    d.push(e);
    expect(d.stats().poured).toBe(0);
    d.push({ ...e, path: 'a'.repeat(8000) });
    expect(d.stats().poured).toBe(1);
  });

  it('reports patterns RE2 refuses (backreferences, lookaround) instead of running them on a backtracking engine', () => {
    for (const re2 of ['(a)\\1', '(?=a)b', '(?<!a)b', '(?P=x)']) {
      const r = loadScenarioText(`name: x\nfilter:\n  path: { re2: '${re2}' }\ntype: trigger\n`, 'x.yaml');
      expect(r.scenario, re2).toBeUndefined();
      expect(r.errors[0]?.path).toBe('filter.path[0].re2');
    }
  });
});
