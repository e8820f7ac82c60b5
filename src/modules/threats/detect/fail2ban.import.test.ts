import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Overflow } from '../events.ts';
import { createDetector } from './detector.ts';
import { importFail2banFilter } from './fail2ban.import.ts';

const FILTER_DIR = '/etc/fail2ban/filter.d';

/** A filter in the shape fail2ban ships (INCLUDES, DEFAULT interpolations, multi-line failregex, ignoreregex). */
const SAMPLE = `
# Fail2Ban filter for a hypothetical FTP daemon
[INCLUDES]
before = common.conf

[DEFAULT]
_daemon = myftpd
__user = <F-USER>\\S+</F-USER>

[Definition]
failregex = ^%(__prefix_line)sLogin failed for user %(__user)s from <HOST>(?: port \\d+)?\\s*$
            ^%(__prefix_line)sToo many attempts from \\[<HOST>\\]
            ^%(__prefix_line)sUser (\\w+) from <HOST> repeated \\1
            ^%(__prefix_line)s(?<!trusted )denied <HOST>
ignoreregex = ^%(__prefix_line)sLogin failed for user monitor from
`;

function runLines(lines: string[], scenario: NonNullable<ReturnType<typeof importFail2banFilter>['scenario']>) {
  const out: Overflow[] = [];
  const d = createDetector({ scenarios: [scenario], onOverflow: (o) => out.push(o) });
  lines.forEach((l, i) => d.pushLine(l, Date.UTC(2026, 10, 27, 10) + i * 1000, 'ftp1'));
  return { out, stats: d.stats() };
}

describe('importFail2banFilter', () => {
  it('imports a filter: interpolations resolved, RE2-incompatible patterns reported one by one, the rest work', () => {
    const r = importFail2banFilter(SAMPLE, { name: 'f2b-myftpd', service: 'ftp', maxRetry: 3, findTime: '10m', banTime: '1h' });
    expect(r.imported).toEqual({ failregex: 2, ignoreregex: 1 });
    expect(r.errors.map((e) => `${e.kind}[${e.index}] ${e.message}`)).toEqual([
      'failregex[2] backreferences are not supported by RE2',
      'failregex[3] lookahead/lookbehind assertions are not supported by RE2',
    ]);
    expect(r.notes.join('\n')).toMatch(/INCLUDES.*common\.conf/);
    expect(r.scenarioErrors).toEqual([]);
    expect(r.yaml).toMatch(/input: line/);
    const s = r.scenario;
    if (!s) throw new Error('no scenario');
    expect(s.spec).toMatchObject({ type: 'window', threshold: 3, window: 600_000, remediation: { duration: 3_600_000 } });

    const { out } = runLines(
      [
        'Nov 27 10:00:01 ftp1 myftpd[42]: Login failed for user monitor from 192.0.2.9',
        'Nov 27 10:00:01 ftp1 myftpd[42]: Login failed for user monitor from 192.0.2.9',
        'Nov 27 10:00:01 ftp1 myftpd[42]: Login failed for user monitor from 192.0.2.9',
        'Nov 27 10:00:02 ftp1 myftpd[42]: Login failed for user admin from 203.0.113.5 port 2121',
        'Nov 27 10:00:03 ftp1 myftpd[42]: Login failed for user root from 203.0.113.5',
        'Nov 27 10:00:04 ftp1 otherd[42]: Login failed for user root from 203.0.113.5',
        'Nov 27 10:00:05 ftp1 myftpd[43]: Too many attempts from [2001:db8::5]',
        'Nov 27 10:00:06 ftp1 myftpd[43]: Too many attempts from [203.0.113.5]',
      ],
      s,
    );
    expect(out.map((o) => `${o.key} ${o.count}`)).toEqual(['203.0.113.5 3']);
    expect(out[0]?.labels).toEqual({ service: 'ftp', source: 'fail2ban' });
  });

  it('reports an unknown interpolation instead of importing a half-resolved pattern', () => {
    const r = importFail2banFilter('[Definition]\nfailregex = ^%(__nope)s from <HOST>$\n', { name: 'x' });
    expect(r.scenario).toBeUndefined();
    expect(r.errors[0]?.message).toMatch(/unresolved reference %\(__nope\)s/);
    expect(r.notes).toContain('unknown interpolation %(__nope)s');
  });

  it.runIf(existsSync(`${FILTER_DIR}/sshd.conf`))(
    'imports the real fail2ban sshd filter and catches an SSH brute force on raw lines',
    () => {
      const r = importFail2banFilter(readFileSync(`${FILTER_DIR}/sshd.conf`, 'utf8'), { name: 'f2b-sshd' });
      // The conditional and lookahead patterns cannot run on RE2, nor can the multi-line ones without <HOST>.
      expect(r.imported.failregex).toBeGreaterThanOrEqual(10);
      expect(r.errors.length).toBeGreaterThan(0);
      expect(r.errors.every((e) => /RE2|HOST/.test(e.message))).toBe(true);
      const s = r.scenario;
      if (!s) throw new Error('no scenario');
      // Many patterns: one RE2 set pass per line picks the ones worth running for their groups.
      expect(s.lineRule?.set).toBeDefined();
      const lines = [
        'Nov 27 10:00:01 web1 sshd[1]: Invalid user admin from 203.0.113.9 port 4242',
        'Nov 27 10:00:02 web1 sshd[2]: error: maximum authentication attempts exceeded for root from 203.0.113.9 port 4243 ssh2 [preauth]',
        'Nov 27 10:00:03 web1 sshd[3]: User root from 203.0.113.9 not allowed because not listed in AllowUsers',
        'Nov 27 10:00:04 web1 sshd[4]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root',
        'Nov 27 10:00:05 web1 sshd[5]: Invalid user test from 203.0.113.9 port 4244',
        'Nov 27 10:00:06 web1 sshd[6]: Accepted publickey for deploy from 192.0.2.10 port 4000 ssh2',
      ];
      const { out } = runLines(lines, s);
      expect(out.map((o) => `${o.key} ${o.count}`)).toEqual(['203.0.113.9 5']);
    },
  );

  it.runIf(existsSync(`${FILTER_DIR}/apache-auth.conf`))('reads [INCLUDES] from an include directory when given one', () => {
    const text = readFileSync(`${FILTER_DIR}/apache-auth.conf`, 'utf8');
    const without = importFail2banFilter(text, { name: 'a' });
    const withDir = importFail2banFilter(text, { name: 'a', includeDir: FILTER_DIR, service: 'http' });
    expect(without.notes.some((n) => n.startsWith('unknown interpolation'))).toBe(true);
    expect(withDir.notes.some((n) => n.startsWith('unknown interpolation'))).toBe(false);
    // apache-common's prefix uses a lookahead: every pattern is refused, and the reason names the prefregex.
    expect(withDir.errors.length).toBeGreaterThan(0);
    expect(withDir.errors.every((e) => e.message.startsWith('prefregex: ') || /RE2/.test(e.message))).toBe(true);
  });
});
