import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDebianTracker } from '../../src/modules/vulns/advisories/debian-tracker.ts';
import { parseEpss } from '../../src/modules/vulns/advisories/epss.ts';
import { drainFeed } from '../../src/modules/vulns/advisories/feed-stream.ts';
import { parseKev } from '../../src/modules/vulns/advisories/kev.ts';
import { parseInventoryUpload } from '../../src/modules/vulns/inventory/upload.ts';
import { AdvisoryIndex } from '../../src/modules/vulns/match/advisory-index.ts';
import { matchInventory } from '../../src/modules/vulns/match/matcher.ts';
import type { AdvisoryStatement, VendorStatus } from '../../src/modules/vulns/model.ts';
import { generate, type GenerateOptions } from './generate.ts';

const root = mkdtempSync(join(tmpdir(), 'skjold-vulns-gen-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const small = (out: string): GenerateOptions => ({
  out,
  seed: 7,
  hosts: 4,
  packagesPerHost: 300,
  entries: 3000,
  sources: 200,
  epssRows: 5000,
  kevEntries: 30,
});

describe('generate', () => {
  it('is deterministic for a seed', async () => {
    const a = await generate(small(join(root, 'a')));
    const b = await generate(small(join(root, 'b')));
    expect(a.trackerEntries).toBe(b.trackerEntries);
    for (const f of ['debian-tracker.json', 'debian-tracker-2.json', 'kev.json', 'hosts/host-0003.upload'])
      expect(readFileSync(join(root, 'a', f)).equals(readFileSync(join(root, 'b', f))), f).toBe(true);
  });

  it("writes files Skjold's own parsers accept, with every vendor status and realistic host versions", async () => {
    const dir = join(root, 'a');
    const statements: AdvisoryStatement[] = [];
    const summary = await drainFeed(parseDebianTracker(createReadStream(join(dir, 'debian-tracker.json'))), (b) => {
      statements.push(...b);
    });
    expect(summary.skipped).toBe(0);
    expect(summary.entries).toBeGreaterThan(2500);
    expect(new Set(statements.map((s) => s.ecosystem))).toEqual(
      new Set(['Debian:10', 'Debian:11', 'Debian:12', 'Debian:13', 'Debian:sid']),
    );
    const statuses = new Set<VendorStatus>(statements.filter((s) => s.ecosystem === 'Debian:12').map((s) => s.status));
    for (const s of ['fixed', 'not_affected', 'no_fix', 'postponed', 'ignored', 'unimportant', 'undetermined'] as const)
      expect(statuses, s).toContain(s);
    // Backported fixes in both Debian styles.
    expect(statements.some((s) => /\+deb12u\d+$/.test(s.fixed ?? ''))).toBe(true);
    expect(statements.some((s) => /~deb12u\d+$/.test(s.fixed ?? ''))).toBe(true);

    const epss = await drainFeed(parseEpss(createReadStream(join(dir, 'epss_scores.csv.gz'))), () => undefined);
    expect(epss.rows).toBe(5000);
    expect(epss.scoreDate).toBe('2026-11-27T00:00:00+0000');
    const kev = parseKev(readFileSync(join(dir, 'kev.json'))).entries;
    const kev2 = parseKev(readFileSync(join(dir, 'kev-2.json'))).entries;
    expect(kev).toHaveLength(30);
    // The next day's catalog: the same 30 entries, unchanged, and 20 new ones added that day.
    expect(kev2).toHaveLength(50);
    expect(kev2.slice(0, 30)).toEqual(kev);
    expect(new Set(kev2.map((e) => e.cve)).size).toBe(50);
    expect(kev2.slice(30).every((e) => e.dateAdded === '2026-11-27')).toBe(true);

    const index = new AdvisoryIndex();
    index.add(statements);
    const hosts = readdirSync(join(dir, 'hosts'));
    expect(hosts).toHaveLength(4);
    let below = 0;
    let atOrAbove = 0;
    for (const h of hosts) {
      const r = parseInventoryUpload(readFileSync(join(dir, 'hosts', h), 'utf8'));
      if (!r.ok) throw new Error(`${h}:${r.line}: ${r.reason}`);
      expect(r.inventory.packages).toHaveLength(300);
      expect(r.inventory.notInstalled).toBe(3);
      const m = matchInventory(index, r.inventory);
      below += m.counts.fixed;
      // Fixed statements of the host's release whose fix is in force.
      const eco = r.inventory.distro as string;
      const installed = new Map(r.inventory.packages.map((p) => [p.source, p.sourceVersion]));
      const found = new Set(m.findings.map((f) => `${f.package} ${f.vuln}`));
      for (const s of statements)
        if (s.ecosystem === eco && s.status === 'fixed' && installed.has(s.package) && !found.has(`${s.package} ${s.vuln}`))
          atOrAbove++;
    }
    expect(below).toBeGreaterThan(0);
    expect(atOrAbove).toBeGreaterThan(below);
  });
});
