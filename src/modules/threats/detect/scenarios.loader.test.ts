import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinScenarios, loadScenarios, loadScenarioText } from './scenarios.loader.ts';

const good = `
name: ok
filter: { service: ssh }
type: trigger
`;

describe('loadScenarios', () => {
  it('names every bad key with its path, including unknown keys deep in the filter', () => {
    const r = loadScenarioText(
      `
name: Bad Name
filter:
  service: telnet
  path: [{ prefx: /x }]
  colour: red
type: leaky
capacity: 5
treshold: 3
`,
      'bad.yaml',
    );
    expect(r.scenario).toBeUndefined();
    const paths = r.errors.map((e) => e.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining(['name', 'filter.service[0]', 'filter.path[0].prefx', 'filter.colour', 'treshold']),
    );
    expect(r.errors.every((e) => e.file === 'bad.yaml' && e.message !== '')).toBe(true);
  });

  it('requires the fields of the bucket type and refuses the others', () => {
    const r = loadScenarioText('name: x\nfilter: {}\ntype: window\ncapacity: 3\n', 'w.yaml');
    expect(r.errors.map((e) => `${e.path}: ${e.message}`).sort()).toEqual([
      'capacity: not used when type is window',
      'threshold: required when type is window',
      'window: required when type is window',
    ]);
  });

  it('reports a pattern RE2 refuses and an unknown signature list at their paths', () => {
    const r = loadScenarioText(
      `
name: x
filter:
  path: [{ re2: '(?<=admin)/x' }, { list: no-such-list }]
type: trigger
`,
      'x.yaml',
    );
    expect(r.errors.map((e) => e.path)).toEqual(['filter.path[0].re2', 'filter.path[1].list']);
    expect(r.errors[0]?.message).toMatch(/RE2/);
  });

  it('accepts a catastrophic-backtracking shape, since RE2 runs it in linear time', () => {
    const r = loadScenarioText(`name: x\nfilter:\n  path: { re2: '(a+)+$' }\ntype: trigger\n`, 'x.yaml');
    expect(r.errors).toEqual([]);
    expect(r.scenario).toBeDefined();
  });

  it('skips a bad file (and a duplicate name) and loads the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skjold-scenarios-'));
    writeFileSync(join(dir, 'a.yaml'), good);
    writeFileSync(join(dir, 'b.yaml'), 'name: [unclosed');
    writeFileSync(join(dir, 'c.yml'), good.replace('name: ok', 'name: other').replace('ssh', 'http'));
    writeFileSync(join(dir, 'd.yaml'), good);
    writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
    const r = loadScenarios(dir);
    expect(r.scenarios.map((s) => s.spec.name)).toEqual(['ok', 'other']);
    expect(r.errors.map((e) => `${e.file} ${e.path}`)).toEqual(['b.yaml ', 'd.yaml name']);
  });

  it('reports a directory that cannot be read instead of throwing', () => {
    const r = loadScenarios('/nonexistent/skjold-scenarios');
    expect(r.scenarios).toEqual([]);
    expect(r.errors).toHaveLength(1);
  });

  it('fills defaults and converts durations', () => {
    const r = loadScenarioText(
      'name: d\nfilter: { status: "400-499" }\ntype: leaky\ncapacity: 1\nleakSpeed: 90s\nremediation: { duration: 4h, escalate: [1d] }\n',
      'd.yaml',
    );
    expect(r.scenario?.spec).toMatchObject({
      groupBy: 'ip',
      severity: 'minor',
      leakSpeed: 90_000,
      blackhole: 0,
      simulation: false,
      enabled: true,
      remediation: { ban: true, duration: 14_400_000, scope: 'ip', escalate: [86_400_000] },
    });
  });

  it('loads every built-in scenario without error', () => {
    const names = builtinScenarios().map((s) => s.spec.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'ssh-bf',
        'ssh-slow-bf',
        'ssh-user-enum',
        'password-spraying',
        'http-probing',
        'http-sensitive-files',
        'http-sqli-probing',
        'http-xss-probing',
        'http-path-traversal',
        'http-bad-user-agent',
        'wordpress-bf',
        'mail-bf',
        'ftp-bf',
        'auth-slow-bf',
        'port-scan',
        'listed-ip-customer',
      ]),
    );
    for (const s of builtinScenarios()) expect(s.spec.labels.mitre ?? s.spec.labels.source, s.spec.name).toBeDefined();
  });
});
