import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AccountImportResult } from './accounts.service.ts';
import { addGrant, addPerson, addSystem } from './accounts.test-data.ts';
import type { BadgeImportResult } from './badge-events.service.ts';
import type { LoginImportResult } from './login-events.ts';
import type { CampaignView, EntryView, ReviewPolicyView } from './reviews.service.ts';

const NOW = '2026-11-27T12:00:00.000Z';

/**
 * "inactive (no use in N days)" in a review (issue 6 item 6, P7), fed the way production is: account lists imported as
 * CSV (with and without a last-login column), sshd auth-log lines ingested as login events, badge events imported as
 * CSV. Last use counts from whichever source saw it later; an entry never seen used is inactive only when the system
 * (or site) has use data reaching back N days, and says "no-use-data" when it has none at all.
 */
describe.each(DIALECTS)('review flags from recorded use ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: { authorization: string };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_TIME_ZONE: 'Europe/Copenhagen' } });
    t.manualClock?.set(NOW);
    // The token outlives the clock's jump of 90 days below.
    admin = (await createUserWithToken(t, 'admin', { expiresInDays: 365 })).headers;
    const db = t.database.db;
    for (const s of ['web1', 'vault', 'db2', 'db3']) ids[s] = await addSystem(db, s);
    const people: [string, string, string[]][] = [
      ['Alice', 'alice', ['web1']],
      ['Bob', 'bob', ['web1']],
      ['Carol', 'carol', ['web1']],
      ['Dave', 'dave', ['web1']],
      ['Frank', 'frank', ['web1']],
      ['Gina', 'gina', ['web1']],
      ['Henry', 'henry', ['vault']],
      ['Ivan', 'ivan', ['vault']],
      ['Judy', 'judy', ['db2']],
      ['Karl', 'karl', ['db2']],
      ['Leo', 'leo', ['db2']],
      ['Mia', 'mia', ['db3']],
    ];
    // Every grant started 2025-01-01, long before the policy's 90 days.
    for (const [name, account, systems] of people) {
      ids[name] = await addPerson(db, name, { identifiers: [account] });
      for (const s of systems) await addGrant(db, ids[name], ids[s]!, { startsAt: '2025-01-01T00:00:00.000Z' });
    }
  }, 60_000);
  afterAll(async () => {
    if (!skip) await t.dispose();
  });
  afterEach(() => {
    if (!skip) t.manualClock?.set(NOW);
  });

  const post = async <T>(url: string, payload: unknown, contentType?: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...admin, ...(contentType ? { 'content-type': contentType } : {}) },
      payload: payload as string,
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json<T>();
  };
  const campaign = async (body: Record<string, unknown>) => {
    const p = await post<ReviewPolicyView>('/api/v1/access/review-policies', {
      name: `use ${randomUUID().slice(0, 6)}`,
      inactiveDays: 90,
      ...body,
    });
    const c = await post<CampaignView>(`/api/v1/access/review-policies/${p.id}/start`, {});
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/access/campaigns/${c.id}/entries`, headers: admin });
    return { id: c.id, entries: res.json<{ items: EntryView[] }>().items };
  };
  const show = (e: EntryView) =>
    `${e.facts.targetName} ${e.facts.personName ?? `(${e.facts.account})`}: ${e.flags.join('+') || '-'} last ${e.facts.lastUsedAt ?? 'never'}`;

  it.skipIf(skip)(
    'logical: last use from the import or from sshd logins; never used is inactive only with use data',
    async () => {
      // Frank logged in before any account list named him: the event still counts once the list arrives without a date.
      const early = await post<LoginImportResult>(
        '/api/v1/access/login-events/import',
        'Nov 26 09:30:00 web1 sshd[4100]: Accepted publickey for frank from 192.0.2.20 port 51000 ssh2\n',
        'text/plain',
      );
      expect(early).toMatchObject({ recorded: 1, succeeded: 1, rejected: [] });

      const web1Csv = [
        'Username,Display Name,Last Login',
        'alice,Alice,2026-11-20T08:00:00Z',
        'bob,Bob,2026-06-01',
        'carol,Carol,2026-06-01',
        'dave,Dave,',
        'frank,Frank,',
        'ghost,Nobody,2026-05-01',
        '',
      ].join('\n');
      const imported = await post<AccountImportResult>(
        `/api/v1/access/systems/${ids['web1']}/accounts/import`,
        web1Csv,
        'text/csv',
      );
      expect(imported).toMatchObject({ status: 'applied', counts: { added: 6, rejected: 0 } });
      // An account list that reports no last use at all: vault has no use data.
      const vault = await post<AccountImportResult>(
        `/api/v1/access/systems/${ids['vault']}/accounts/import`,
        'account,name\nhenry,Henry\n',
        'text/csv',
      );
      expect(vault).toMatchObject({ status: 'applied', counts: { added: 1 } });

      // sshd auth-log lines (Europe/Copenhagen local time): db2 and db3 have no account list at all.
      const authLog = [
        'Nov 25 09:00:00 web1 sshd[4200]: Accepted publickey for carol from 192.0.2.30 port 52000 ssh2: ED25519 SHA256:abc',
        'Aug 10 09:00:00 db2 sshd[710]: Accepted password for judy from 198.51.100.4 port 40000 ssh2',
        'Nov 26 14:15:00 db2 sshd[711]: Accepted publickey for karl from 198.51.100.5 port 40001 ssh2',
        'Nov 20 03:00:00 db3 sshd[99]: Failed password for root from 203.0.113.9 port 4444 ssh2',
        'Nov 20 03:00:05 db3 sshd[99]: Failed password for mia from 203.0.113.9 port 4445 ssh2',
        '',
      ].join('\n');
      expect(await post<LoginImportResult>('/api/v1/access/login-events/import', authLog, 'text/plain')).toMatchObject({
        recorded: 5,
        succeeded: 3,
        failed: 2,
        rejected: [],
      });

      const c = await campaign({ scope: 'logical' });
      expect(c.entries.map(show).sort()).toEqual(
        [
          // Used 7 days ago (import): not inactive.
          'web1 Alice: - last 2026-11-20T08:00:00.000Z',
          // Last use 179 days ago (import): inactive.
          'web1 Bob: inactive last 2026-06-01T00:00:00.000Z',
          // The import says June, sshd says two days ago: the later one counts.
          'web1 Carol: - last 2026-11-25T08:00:00.000Z',
          // Never used, and web1 reports use since May (more than 90 days): inactive.
          'web1 Dave: inactive last never',
          // The login came before the account list, which had no date for frank.
          'web1 Frank: - last 2026-11-26T08:30:00.000Z',
          // A grant with no account and no login on a system with use data: inactive.
          'web1 Gina: inactive last never',
          'web1 (ghost): orphaned+inactive last 2026-05-01T00:00:00.000Z',
          // vault's list carries no last-login column and no login events arrive: nobody can tell.
          'vault Henry: no-use-data last never',
          'vault Ivan: no-use-data last never',
          // db2 has only sshd logins: Judy's is 109 days old, Karl's yesterday, Leo never logged in since August.
          'db2 Judy: inactive last 2026-08-10T07:00:00.000Z',
          'db2 Karl: - last 2026-11-26T13:15:00.000Z',
          'db2 Leo: inactive last never',
          // db3's log feed started a week ago (only failed logins): Mia has not been watched for 90 days yet.
          'db3 Mia: - last never',
        ].sort(),
      );
      const filtered = await t.app.inject({
        method: 'GET',
        url: `/api/v1/access/campaigns/${c.id}/entries?flag=no-use-data`,
        headers: admin,
      });
      expect(filtered.json<{ items: EntryView[] }>().items.map((e) => e.facts.personName)).toEqual(['Henry', 'Ivan']);

      // Ninety days on, with no new use, Mia and Karl are inactive too, and vault still has no use data.
      t.manualClock?.set('2027-02-25T12:00:00.000Z');
      const later = await campaign({ scope: 'logical', systemIds: [ids['db2'], ids['db3'], ids['vault']] });
      expect(later.entries.map(show).sort()).toEqual(
        [
          'db2 Judy: inactive last 2026-08-10T07:00:00.000Z',
          'db2 Karl: inactive last 2026-11-26T13:15:00.000Z',
          'db2 Leo: inactive last never',
          'db3 Mia: inactive last never',
          'vault Henry: no-use-data last never',
          'vault Ivan: no-use-data last never',
        ].sort(),
      );
    },
  );

  it.skipIf(skip)('physical: last granted badge use per site; a site with no badge events has no use data', async () => {
    const site = async (name: string) =>
      (await post<{ id: string }>('/api/v1/access/sites', { name, country: 'DK', holds: ['customer-data'], address: 'Vej 1' }))
        .id;
    const ballerup = await site('DC Ballerup');
    const aarhus = await site('DC Aarhus');
    await post(`/api/v1/access/sites/${ballerup}/doors`, { name: 'Main' });
    const grantSite = async (name: string, badge: string | null, siteId: string, startsAt = '2025-01-01T00:00:00Z') => {
      const personId = await addPerson(t.database.db, name);
      if (badge) await post('/api/v1/access/badges', { number: badge, personId, issuedAt: '2025-01-01T00:00:00Z' });
      const g = await post<{ id: string }>('/api/v1/access/site-grants', { personId, siteId, justification: 'racks', startsAt });
      await post(`/api/v1/access/site-grants/${g.id}/approve`, {});
    };
    await grantSite('Nora', 'B-1', ballerup);
    await grantSite('Otto', 'B-2', ballerup);
    await grantSite('Pia', 'B-3', ballerup);
    await grantSite('Rita', 'B-4', ballerup, '2026-11-20T00:00:00Z');
    await grantSite('Quinn', null, aarhus);
    const csv = [
      'time,badge,door,site,result',
      '2026-06-15T07:00:00Z,B-3,Main,DC Ballerup,denied',
      '2026-07-01T06:30:00Z,B-2,Main,DC Ballerup,granted',
      '2026-11-26T07:45:00Z,B-1,Main,DC Ballerup,granted',
      '',
    ].join('\n');
    expect(await post<BadgeImportResult>('/api/v1/access/badge-events/import', csv, 'text/csv')).toMatchObject({
      accepted: 3,
      rejected: 0,
    });
    const c = await campaign({ scope: 'physical' });
    expect(c.entries.map(show).sort()).toEqual(
      [
        'DC Ballerup Nora: - last 2026-11-26T07:45:00.000Z',
        'DC Ballerup Otto: inactive last 2026-07-01T06:30:00.000Z',
        // Only a denied attempt in June: never in, and the site reports since June: inactive.
        'DC Ballerup Pia: inactive last never',
        // Granted a week ago, not used yet: too early to call inactive.
        'DC Ballerup Rita: - last never',
        'DC Aarhus Quinn: no-use-data last never',
      ].sort(),
    );
  });
});
