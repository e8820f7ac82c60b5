import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { type CliServer, SPAWNING, startCliServer } from './cli-server.test-harness.ts';

describe('skjold apply / export of people, systems and grants (SQLite)', () => {
  let cli: CliServer;
  // Names the tests below use, bound once the server is up.
  let root = '';
  let url = '';
  let token = '';
  let fingerprint = '';
  const file = (name: string, text: string) => cli.file(name, text);
  const run = (args: string[], env?: Record<string, string>, cwd?: string) => cli.run(args, env, cwd);

  beforeAll(async () => {
    cli = await startCliServer('skjold-apply-access-');
    ({ root, url, token, fingerprint } = cli);
  }, 120_000);
  afterAll(async () => {
    await cli?.stop();
  });

  const setup = (team: string) =>
    [
      '# Who may reach what',
      'people:',
      '  - name: Ida Ops',
      '    email: ida@example.dk',
      `    team: ${team}`,
      '    manager: mia@example.dk',
      '    identifiers: [ida, adm-ida]',
      '  - name: Mia Manager',
      '    email: mia@example.dk',
      'systems:',
      '  - name: db1.example.dk',
      '    kind: database',
      '    classification: customer',
      '    owner: mia@example.dk',
      '    levels:',
      '      - { name: read }',
      '      - { name: dba, privileged: true }',
      'grants:',
      '  - person: ida@example.dk',
      '    system: db1.example.dk',
      '    level: read',
      '    justification: reads replication status',
      '',
    ].join('\n');

  it('creates, then leaves alone, then updates, and an export applies back unchanged', SPAWNING, async () => {
    const f = file('access.yaml', setup('ops'));
    const first = await run(['apply', '-f', f]);
    expect([first.code, first.stdout], first.stderr).toEqual([
      0,
      [
        'created person ida@example.dk',
        'created person mia@example.dk',
        'created system db1.example.dk',
        'created grant ida@example.dk db1.example.dk read',
        '4 created, 0 updated, 0 unchanged',
        '',
      ].join('\n'),
    ]);
    // The applying admin approved the grant once: it is active.
    const client = new ApiClient({ server: url, fingerprint }, token);
    const grants = await client.request<{ items: { state: string; level: string }[] }>('GET', '/api/v1/access/grants');
    expect(grants.items.map((g) => [g.level, g.state])).toEqual([['read', 'active']]);

    const again = await run(['apply', '-f', f]);
    expect([again.code, again.stdout]).toEqual([
      0,
      'unchanged person ida@example.dk\nunchanged person mia@example.dk\nunchanged system db1.example.dk\nunchanged grant ida@example.dk db1.example.dk read\n0 created, 0 updated, 4 unchanged\n',
    ]);
    const edited = await run(['apply', '-f', file('access.yaml', setup('platform'))]);
    expect([edited.code, edited.stdout.split('\n').at(-2)]).toEqual([0, '0 created, 1 updated, 3 unchanged']);

    const out = join(root, 'exported.yaml');
    const exp = await run(['export', '--kinds', 'people,systems,grants', '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('    manager: mia@example.dk\n');
    expect(text.indexOf('people:')).toBeLessThan(text.indexOf('systems:'));
    expect(text.indexOf('systems:')).toBeLessThan(text.indexOf('grants:'));
    const back = await run(['apply', '-f', out]);
    expect([back.code, back.stdout.split('\n').at(-2)]).toEqual([0, '0 created, 0 updated, 4 unchanged']);

    const ghost = await run(['apply', '-f', file('ghost.yaml', setup('ops').replace('person: ida@', 'person: ghost@'))]);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(
      / {2}body\.grants\.0\.person \(\S+ghost\.yaml:19:\d+\): no person with the e-mail ghost@example\.dk\n/,
    );
    expect(ghost.stderr).toContain('none of the 1 grants was applied');
  });
});
