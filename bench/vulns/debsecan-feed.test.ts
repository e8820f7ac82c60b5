import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { InventoryPackage } from '../../src/modules/vulns/model.ts';
import { debsecanFeedText, dpkgStatusText, parseDebsecanDetail, runDebsecan, type Tracker } from './debsecan-feed.ts';

const repos = (bookworm: string, security?: string) => ({ bookworm, ...(security ? { 'bookworm-security': security } : {}) });

/** A small tracker in the real JSON shape: one package, the cases where debsecan's rules matter. */
const TRACKER: Tracker = {
  foo: {
    // Fixed by a bookworm security update; later updates exist.
    'CVE-2024-0001': {
      description: 'overflow in foo',
      scope: 'remote',
      releases: {
        bookworm: {
          status: 'resolved',
          repositories: repos('1.0-1+deb12u1', '1.0-1+deb12u3'),
          fixed_version: '1.0-1+deb12u2',
          urgency: 'medium',
        },
        sid: { status: 'resolved', repositories: { sid: '1.2-1' }, fixed_version: '1.1-1', urgency: 'medium' },
      },
    },
    // Fixed in sid before bookworm was released: the release inherits it, no note of its own.
    'CVE-2020-0002': {
      description: 'old bug',
      scope: 'local',
      releases: {
        bookworm: {
          status: 'resolved',
          repositories: repos('1.0-1+deb12u1', '1.0-1+deb12u3'),
          fixed_version: '0.9-1',
          urgency: 'low',
        },
        sid: { status: 'resolved', repositories: { sid: '1.2-1' }, fixed_version: '0.9-1', urgency: 'low' },
      },
    },
    // Unimportant everywhere: not in the feed.
    'CVE-2024-0003': {
      description: 'harmless',
      releases: {
        bookworm: { status: 'open', repositories: repos('1.0-1+deb12u1'), urgency: 'unimportant' },
        sid: { status: 'resolved', repositories: { sid: '1.2-1' }, fixed_version: '1.2-1', urgency: 'unimportant' },
      },
    },
    // Postponed in bookworm ("not yet assigned" urgency): in the feed, no F flag.
    'CVE-2024-0004': {
      description: 'minor',
      releases: {
        bookworm: {
          status: 'open',
          repositories: repos('1.0-1+deb12u1'),
          urgency: 'not yet assigned',
          nodsa: 'Minor issue',
          nodsa_reason: 'postponed',
        },
        sid: { status: 'resolved', repositories: { sid: '1.2-1' }, fixed_version: '1.2-1', urgency: 'not yet assigned' },
      },
    },
    // Not affected anywhere ("0" in sid): not in the feed.
    'CVE-2024-0005': {
      description: 'not here',
      releases: {
        bookworm: { status: 'resolved', repositories: repos('1.0-1+deb12u1'), fixed_version: '0', urgency: 'not yet assigned' },
        sid: { status: 'resolved', repositories: { sid: '1.2-1' }, fixed_version: '0', urgency: 'not yet assigned' },
      },
    },
  },
};
const BINARIES = { foo: ['foo', 'libfoo1'] };

describe('debsecanFeedText', () => {
  const text = debsecanFeedText(TRACKER, BINARIES, 'bookworm');
  const [head, records, sources] = text.split('\n\n') as [string, string, string];

  it('lists the vulnerabilities by name, leaving out those only unimportant or not affected', () => {
    expect(head.split('\n')).toEqual([
      'VERSION 1',
      'CVE-2020-0002,,old bug',
      'CVE-2024-0001,,overflow in foo',
      'CVE-2024-0004,,minor',
    ]);
  });

  it('writes the records as the tracker does: flags, unstable fix, versions fixed on the branches', () => {
    expect(records.split('\n')).toEqual([
      'foo,0,SL  ,0.9-1,',
      // bookworm has its own note (fixed in +deb12u2): F, and the later bookworm versions count as fixed.
      'foo,1,SMRF,1.1-1,1.0-1+deb12u2 1.0-1+deb12u3',
      'foo,2,S ? ,1.2-1,',
    ]);
    expect(sources).toBe('foo,foo libfoo1\n');
  });
});

describe('dpkgStatusText and parseDebsecanDetail', () => {
  it('names the source with its version only where they differ from the binary', () => {
    const pkgs: InventoryPackage[] = [
      { name: 'foo', version: '1.0-1+deb12u1', source: 'foo', sourceVersion: '1.0-1+deb12u1', ecosystem: 'Debian:12' },
      { name: 'libfoo1', version: '1.0-1+deb12u1+b1', source: 'foo', sourceVersion: '1.0-1+deb12u1', ecosystem: 'Debian:12' },
    ];
    const text = dpkgStatusText(pkgs);
    expect(text).toContain(
      'Package: foo\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 1.0-1+deb12u1\n',
    );
    expect(text).toContain('Package: libfoo1\n');
    expect(text).toContain('Source: foo (1.0-1+deb12u1)\nVersion: 1.0-1+deb12u1+b1\n');
  });

  it('reads the detail format', () => {
    const out = parseDebsecanDetail(
      [
        'CVE-2024-0001 (fixed, remotely exploitable, medium urgency)',
        '  overflow in foo',
        '  installed: libfoo1 1.0-1+deb12u1+b1',
        '             (built from foo 1.0-1+deb12u1)',
        '  fixed in unstable: foo 1.1-1 (source package)',
        '',
        'CVE-2024-0004',
        '  minor',
        '  installed: foo 1.0-1',
        '             (built from foo 1.0-1)',
        '',
      ].join('\n'),
    );
    expect(out).toEqual([
      {
        vuln: 'CVE-2024-0001',
        fixAvailable: true,
        binary: 'libfoo1',
        binaryVersion: '1.0-1+deb12u1+b1',
        source: 'foo',
        sourceVersion: '1.0-1+deb12u1',
      },
      {
        vuln: 'CVE-2024-0004',
        fixAvailable: false,
        binary: 'foo',
        binaryVersion: '1.0-1',
        source: 'foo',
        sourceVersion: '1.0-1',
      },
    ]);
  });
});

describe.skipIf(!existsSync('/usr/bin/debsecan'))('debsecan on the converted feed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'debsecan-feed-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (version: string) => {
    writeFileSync(join(dir, 'bookworm'), deflateSync(debsecanFeedText(TRACKER, BINARIES, 'bookworm')));
    const status = join(dir, `status-${version}`);
    writeFileSync(
      status,
      dpkgStatusText([{ name: 'foo', version, source: 'foo', sourceVersion: version, ecosystem: 'Debian:12' }]),
    );
    const r = await runDebsecan(dir, 'bookworm', status);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.findings.map((f) => `${f.vuln}${f.fixAvailable ? ' F' : ''}`).sort();
  };

  it('reads it, and spares the fixed bookworm versions the feed lists', async () => {
    expect(await run('1.0-1+deb12u1')).toEqual(['CVE-2024-0001 F', 'CVE-2024-0004']);
    expect(await run('1.0-1+deb12u2')).toEqual(['CVE-2024-0004']);
  });

  it('tests other-fixed by equality: a version above the fix that the feed does not list is reported', async () => {
    // +deb12u4 is newer than the fix (+deb12u2) but neither a note's fix nor in the archive.
    expect(await run('1.0-1+deb12u4')).toEqual(['CVE-2024-0001 F', 'CVE-2024-0004']);
    expect(execFileSync('dpkg', ['--compare-versions', '1.0-1+deb12u4', 'gt', '1.0-1+deb12u2']).length).toBe(0);
  });
});
