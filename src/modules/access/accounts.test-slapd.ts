import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A real OpenLDAP slapd for tests (Debian's slapd and ldap-utils): started as the current user on a free loopback
 * port with an mdb database and the memberof overlay in a temporary directory, stopped (and its directory removed) by
 * `stop()`. Entries are loaded with ldapadd / removed with ldapdelete.
 */
const run = promisify(execFile);
export const ADMIN_DN = 'cn=admin,dc=example,dc=org';
export const ADMIN_PW = 'sl4pd-test-secret';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Slapd {
  url: string;
  ldif(text: string, cmd?: 'ldapadd' | 'ldapdelete'): Promise<void>;
  stop(): Promise<void>;
}

export async function startSlapd(): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'skjold-slapd-'));
  mkdirSync(join(dir, 'db'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'include /etc/ldap/schema/nis.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload memberof',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 10485760',
      'suffix "dc=example,dc=org"',
      `rootdn "${ADMIN_DN}"`,
      `rootpw ${ADMIN_PW}`,
      `directory ${join(dir, 'db')}`,
      'overlay memberof',
      '',
    ].join('\n'),
  );
  const url = `ldap://127.0.0.1:${port}`;
  // -d 0: stay in the foreground (a child this test owns and stops), no debug output.
  const bin = existsSync('/usr/sbin/slapd') ? '/usr/sbin/slapd' : 'slapd';
  const child: ChildProcess = spawn(bin, ['-h', `${url}/`, '-f', join(dir, 'slapd.conf'), '-d', '0'], { stdio: 'ignore' });
  const auth = ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PW];
  for (let i = 0; ; i++) {
    try {
      await run('ldapwhoami', auth);
      break;
    } catch (e) {
      if (i > 50) throw new Error(`slapd did not start: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async ldif(text, cmd = 'ldapadd') {
      const f = join(dir, `in-${Date.now()}.ldif`);
      writeFileSync(f, text);
      await run(cmd, [...auth, '-f', f]);
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The suffix and one person under `ou=people,dc=example,dc=org` (uid `walk`), for tests that only need a directory. */
export const MINIMAL_LDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: uid=walk,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: walk
cn: Walk
sn: Walk
mail: walk@example.org
`;

/** Two people under `ou=people`, alice in `cn=admins,ou=groups` (the memberof overlay gives her `memberOf`). */
export const PEOPLE_LDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice Admin
sn: Admin
mail: alice@example.org

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob Builder
sn: Builder
mail: bob@example.org

dn: cn=admins,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,dc=example,dc=org
`;
