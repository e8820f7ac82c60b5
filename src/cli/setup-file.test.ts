import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseKinds, renderSetup } from './export.command.ts';
import { KINDS, parseSetupFile, readSetupFile, SetupFileError } from './setup-file.ts';

const problems = (text: string): string[] => {
  try {
    parseSetupFile(text, 'f.yaml');
  } catch (e) {
    if (e instanceof SetupFileError) return e.problems;
    throw e;
  }
  return [];
};

describe('set-up files', () => {
  it('keeps the kinds in apply order and finds the line of an API error path', () => {
    const text = [
      'monitors:',
      '  - type: heartbeat',
      '    name: cron',
      '    intervalSeconds: 5',
      'schedules:',
      '  - name: Ops',
      '    layers:',
      '      - name: Primary',
      '        users: [ann, bob]',
      '',
    ].join('\n');
    const f = parseSetupFile(text, 'f.yaml');
    expect(f.kinds.map((k) => [k.kind.key, k.items.length])).toEqual([
      ['schedules', 1],
      ['monitors', 1],
    ]);
    expect(f.where('monitors.0.intervalSeconds')).toBe('f.yaml:4:22');
    expect(f.where('body.schedules.0.layers.0.users.1')).toBe('f.yaml:9:22');
    // A missing field points at the nearest thing that is there: the item.
    expect(f.where('body.schedules.0.layers.0.handoffTime')).toBe('f.yaml:8:9');
  });

  it('names the line of syntax errors, duplicate keys, unknown kinds and wrong shapes', () => {
    expect(problems('schedules:\n  - name: a\n    name: b\n')[0]).toMatch(/^f\.yaml:3:5: Map keys must be unique/);
    expect(problems('schedules:\n  - name: [unclosed\n')[0]).toMatch(/^f\.yaml:\d+:\d+: /);
    expect(problems('monitors: []\nmonitor: []\n')).toEqual([
      `f.yaml:2:1: unknown kind "monitor"; a file holds ${KINDS.map((k) => k.key).join(', ')}`,
    ]);
    expect(problems('schedules:\n  name: a\n')).toEqual(['f.yaml:2:3: schedules must be a list']);
    expect(problems('schedules:\n  - just a string\n')).toEqual(['f.yaml:2:5: each of schedules must be a mapping']);
    expect(problems('- a\n')).toEqual(['f.yaml:1:1: the file must be a mapping of kinds to lists']);
    expect(problems('')[0]).toMatch(/the file is empty/);
    expect(problems('a: 1\n---\nb: 2\n')[0]).toMatch(/^f\.yaml:2:1: /);
  });

  it('refuses alias bombs and files over 5 MB', () => {
    // Nine levels of ten aliases each: 10^9 strings once expanded.
    const bomb = ['monitors:', '  - a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(`    ${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`);
    expect(problems(bomb.join('\n'))[0]).toMatch(/^f\.yaml: .*alias.*\(at most 100 aliases\)$/i);

    const dir = mkdtempSync(join(tmpdir(), 'skjold-setup-'));
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `monitors: []\n#${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(() => readSetupFile(big)).toThrow(/at most 5 MB/);
    expect(() => readSetupFile(join(dir, 'missing.yaml'))).toThrow(/cannot read/);
  });

  it('exports sorted by name under a header, in a form the parser reads back the same', () => {
    const schedules = KINDS.find((k) => k.key === 'schedules')!;
    const monitors = KINDS.find((k) => k.key === 'monitors')!;
    const text = renderSetup(
      [
        { kind: schedules, items: [{ name: 'b' }, { name: 'a', description: 'x'.repeat(300) }] },
        { kind: monitors, items: [] },
      ],
      'https://127.0.0.1:8443',
      new Date('2026-11-27T12:00:00Z'),
    );
    expect(text.split('\n').slice(0, 3)).toEqual([
      '# Skjold set-up exported from https://127.0.0.1:8443 at 2026-11-27T12:00:00.000Z',
      '# Apply it with: skjold apply -f <this file>',
      '',
    ]);
    expect(parse(text)).toEqual({ schedules: [{ name: 'a', description: 'x'.repeat(300) }, { name: 'b' }], monitors: [] });
    expect(parseSetupFile(text, 'x').kinds.map((k) => k.kind.key)).toEqual(['schedules', 'monitors']);
    expect(parseKinds('monitors, schedules').map((k) => k.key)).toEqual(['schedules', 'monitors']);
    expect(() => parseKinds('monitors,pagers')).toThrow(/--kinds takes/);
  });
});
