import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { LdapSourceView } from './accounts.ldap.ts';
import type { AccountImportResult, AccountView } from './accounts.service.ts';
import { addSystem } from './accounts.test-data.ts';
import { ADMIN_DN, ADMIN_PW, PEOPLE_LDIF, type Slapd, startSlapd } from './accounts.test-slapd.ts';

/**
 * Account lists pulled from a real OpenLDAP slapd (issue 6 item 3): started here as the current user with an mdb
 * database and the memberof overlay in a temporary directory, loaded with ldapadd, stopped after. The bind password is
 * sealed at rest and never shown; a pull imports like an upload (idempotent, gone accounts); a failing directory
 * changes nothing and answers 503.
 */
// The two people of PEOPLE_LDIF and one whose mail is not an address.
const ENTRIES = `${PEOPLE_LDIF}
dn: uid=broken,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: broken
cn: Broken Mail
sn: Mail
mail: not-an-address
`;

describe.each(DIALECTS)('LDAP account source against a real slapd ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let slapd: Slapd;
  let headers: { authorization: string };
  let sys: string;

  beforeAll(async () => {
    if (skip) return;
    slapd = await startSlapd();
    await slapd.ldif(ENTRIES);
    t = await createTestApp(dialect, { manualClock: true });
    t.manualClock?.set('2026-11-27T12:00:00.000Z');
    headers = (await createUserWithToken(t, 'security-officer', { scopes: ['access.read', 'access.import', 'access.write'] }))
      .headers;
    sys = await addSystem(t.database.db, 'corp-directory');
  }, 60_000);
  afterAll(async () => {
    if (skip) return;
    await t.dispose();
    await slapd.stop();
  });

  const source = (over: Record<string, unknown> = {}) => ({
    url: slapd.url,
    bindDn: ADMIN_DN,
    bindPassword: ADMIN_PW,
    baseDn: 'ou=people,dc=example,dc=org',
    filter: '(objectClass=inetOrgPerson)',
    attributes: { account: 'uid', name: 'cn', mail: 'mail', memberOf: 'memberOf' },
    privilegedGroups: ['admins'],
    ...over,
  });
  const put = (body: unknown) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/access/systems/${sys}/ldap`, headers, payload: body as object });
  const pull = () => t.app.inject({ method: 'POST', url: `/api/v1/access/systems/${sys}/accounts/pull`, headers });
  const accounts = async () =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/accounts`, headers })).json<{
      items: AccountView[];
    }>().items;

  it.skipIf(skip)('stores the source with its bind password sealed, never shown nor audited', async () => {
    const res = await put(source());
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(ADMIN_PW);
    expect(res.json<LdapSourceView>()).toMatchObject({ url: slapd.url, hasPassword: true, privilegedGroups: ['admins'] });
    const row = await t.database.db.selectFrom('access_ldap_sources').select('bind_password').executeTakeFirstOrThrow();
    expect(row.bind_password).toMatch(/^v1\./);
    expect(row.bind_password).not.toContain(ADMIN_PW);
    await t.audit.sink.flush();
    const audit = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', 'access.ldap-source.set')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.entry).not.toContain(ADMIN_PW);
    const missing = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/access/systems/${sys}/ldap`,
      headers,
      payload: { ...source(), url: 'http://x' },
    });
    expect(missing.statusCode).toBe(400);
  });

  it.skipIf(skip)(
    'pulls the accounts: privileged by group, bad entries reported, the same directory twice unchanged',
    async () => {
      const res = await pull();
      expect(res.statusCode).toBe(201);
      const r = res.json<AccountImportResult>();
      expect(r).toMatchObject({ status: 'applied', source: 'ldap', counts: { added: 2, rejected: 1 } });
      expect(r.rejected[0]).toMatchObject({ account: 'broken', reason: expect.stringMatching(/e-mail/) as unknown });
      const list = await accounts();
      expect(list.map((a) => [a.account, a.displayName, a.email, a.privileged])).toEqual([
        ['alice', 'Alice Admin', 'alice@example.org', true],
        ['bob', 'Bob Builder', 'bob@example.org', false],
      ]);
      const again = await pull();
      expect(again.statusCode).toBe(200);
      expect(again.json<AccountImportResult>().status).toBe('unchanged');
    },
  );

  it.skipIf(skip)('an account deleted from the directory is gone after the next pull', async () => {
    await slapd.ldif('uid=bob,ou=people,dc=example,dc=org\n', 'ldapdelete');
    const r = (await pull()).json<AccountImportResult>();
    expect(r.gone).toEqual(['bob']);
    expect((await accounts()).map((a) => a.account)).toEqual(['alice']);
  });

  it.skipIf(skip)('a refused bind answers 503, changes no account and is remembered on the source', async () => {
    expect((await put(source({ bindPassword: 'wrong' }))).statusCode).toBe(200);
    const before = await t.database.db.selectFrom('access_accounts').selectAll().execute();
    const res = await pull();
    expect(res.statusCode).toBe(503);
    expect(res.json<{ code: string }>().code).toBe('access_ldap_failed');
    expect(await t.database.db.selectFrom('access_accounts').selectAll().execute()).toEqual(before);
    const view = (
      await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/ldap`, headers })
    ).json<LdapSourceView>();
    expect(view.lastResult).toMatchObject({ error: expect.stringMatching(/LDAP/) as unknown });
  });

  it.skipIf(skip)(
    'a scheduled source is pulled by the sweep when its interval has passed (keeping the stored password)',
    async () => {
      expect((await put(source({ bindPassword: ADMIN_PW }))).statusCode).toBe(200);
      const rest: Record<string, unknown> = source();
      delete rest['bindPassword'];
      expect((await put({ ...rest, intervalMinutes: 60 })).statusCode).toBe(200);
      await slapd.ldif(
        'dn: uid=carol,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: carol\ncn: Carol\nsn: C\nmail: carol@example.org\n',
      );
      // The failed pull at 12:00 counts as the last one: nothing is due before 13:00.
      await t.access.sweep();
      expect((await accounts()).map((a) => a.account)).toEqual(['alice']);
      t.manualClock?.advance(61 * 60_000);
      await t.access.sweep();
      expect((await accounts()).map((a) => a.account)).toEqual(['alice', 'carol']);
      const view = (
        await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/ldap`, headers })
      ).json<LdapSourceView>();
      expect(view.lastPullAt).toBe('2026-11-27T13:01:00.000Z');
      await t.audit.sink.flush();
      const audit = await t.database.db
        .selectFrom('audit_entries')
        .select(['actor'])
        .where('action', '=', 'access.accounts.pull')
        .execute();
      expect(audit.map((a) => a.actor)).toContain('system:access');
    },
  );
});
