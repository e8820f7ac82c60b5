import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Overflow, ThreatEvent } from '../events.ts';
import { createLineParser } from '../parse/index.ts';
import { createDetector } from './detector.ts';
import { BUILTIN_SCENARIO_DIR, builtinScenarios } from './scenarios.loader.ts';

/** What a fixture's `.expect.json` says: the overflows (over all built-in scenarios) the lines must produce. */
interface Expectation {
  overflows: { scenario: string; key: string; count?: number; ips?: number }[];
  /** IPs the test marks as listed by threat-intel feeds (the pipeline's job in production). */
  listed?: Record<string, string[]>;
  /** Hosts (syslog host, vhost or firewall destination) that are customer environments. */
  customerHosts?: string[];
}

const names = readdirSync(BUILTIN_SCENARIO_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -5));

/** Run raw lines through the real parser and every built-in scenario, setting listedBy/environment as the pipeline would. */
function run(lines: string[], exp: Expectation): { overflows: Overflow[]; unparsed: string[] } {
  // `now` after the last fixture day, so RFC 3164 dates without a year land in 2026.
  const parse = createLineParser({ type: 'auto', timeZone: 'UTC', now: () => Date.UTC(2026, 11, 5) });
  const overflows: Overflow[] = [];
  const detector = createDetector({ scenarios: builtinScenarios(), onOverflow: (o) => overflows.push(o) });
  const customers = new Set(exp.customerHosts ?? []);
  const unparsed: string[] = [];
  for (const line of lines) {
    const r = parse(line);
    if (!r.ok) {
      unparsed.push(line);
      continue;
    }
    const e: ThreatEvent = r.event;
    const listed = exp.listed?.[e.ip];
    if (listed) e.listedBy = listed;
    if ((e.host !== undefined && customers.has(e.host)) || (e.dst !== undefined && customers.has(e.dst))) {
      e.environment = 'customer';
    }
    detector.push(e);
  }
  return { overflows, unparsed };
}

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

describe('built-in scenarios against their fixtures (raw lines → parser → all built-in scenarios)', () => {
  it('every built-in scenario has a fixture, an expectation and a negative fixture', () => {
    expect(names.length).toBeGreaterThanOrEqual(16);
    for (const n of names) {
      for (const suffix of ['.fixture.log', '.fixture.expect.json', '.negative.log']) {
        expect(existsSync(join(BUILTIN_SCENARIO_DIR, n + suffix)), n + suffix).toBe(true);
      }
    }
  });

  describe.each(names)('%s', (name) => {
    const exp = JSON.parse(readFileSync(join(BUILTIN_SCENARIO_DIR, `${name}.fixture.expect.json`), 'utf8')) as Expectation;

    it('fixture lines produce exactly the expected overflows', () => {
      const { overflows, unparsed } = run(readLines(join(BUILTIN_SCENARIO_DIR, `${name}.fixture.log`)), exp);
      expect(unparsed).toEqual([]);
      const got = overflows.map((o) => `${o.scenario} ${o.key}`).sort();
      const want = exp.overflows.map((o) => `${o.scenario} ${o.key}`).sort();
      expect(got).toEqual(want);
      for (const w of exp.overflows) {
        const o = overflows.find((x) => x.scenario === w.scenario && x.key === w.key);
        if (w.count !== undefined) expect(o?.count, `${w.scenario} ${w.key} count`).toBe(w.count);
        if (w.ips !== undefined) expect(o?.ips.length, `${w.scenario} ${w.key} ips`).toBe(w.ips);
        expect(o?.samples.length).toBeGreaterThan(0);
        expect(o?.samples.length).toBeLessThanOrEqual(10);
      }
      expect(overflows.some((o) => o.scenario === name)).toBe(true);
    });

    it('normal traffic in the negative fixture fires no scenario at all', () => {
      const { overflows, unparsed } = run(readLines(join(BUILTIN_SCENARIO_DIR, `${name}.negative.log`)), exp);
      expect(unparsed).toEqual([]);
      expect(overflows.map((o) => `${o.scenario} ${o.key}`)).toEqual([]);
    });
  });
});
