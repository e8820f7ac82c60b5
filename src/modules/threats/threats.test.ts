import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AlertView } from './alerts.service.ts';
import type { DecisionView } from './decisions.service.ts';

type Headers = Record<string, string>;

/** RFC 5424 sshd lines, `secondsAgo` before now, so the log's own clock is close to the server's. */
function sshd(secondsAgo: number, msg: string, host = 'web1'): string {
  return `<38>1 ${new Date(Date.now() - secondsAgo * 1000).toISOString()} ${host} sshd 4242 - - ${msg}`;
}
function bruteForce(ip: string, attempts: number, host = 'web1', startSecondsAgo = 300): string[] {
  const lines: string[] = [];
  for (let i = 0; i < attempts; i++)
    lines.push(sshd(startSecondsAgo - i, `Failed password for root from ${ip} port ${40000 + i} ssh2`, host));
  return lines;
}

describe.each(DIALECTS)('threats module on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: Headers;
  let operator: Headers;
  let viewer: Headers;

  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { env: { SKJOLD_THREATS_FLUSH_MS: '10000' } });
    admin = (await createUserWithToken(t, 'admin')).headers;
    operator = (await createUserWithToken(t, 'operator')).headers;
    viewer = (await createUserWithToken(t, 'viewer')).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  async function ingest(lines: string[], contentType = 'text/plain') {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/ingest',
      headers: { ...admin, 'content-type': contentType },
      payload: lines.join('\n'),
    });
    await t.threats.engine?.idle();
    await t.threats.writer.flush();
    return r;
  }
  const get = async <T>(url: string, h: Headers = viewer): Promise<T> => {
    const r = await t.app.inject({ method: 'GET', url, headers: h });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<T>();
  };

  it.skipIf(skip)(
    'turns an SSH brute force posted to the bulk endpoint into one alert with evidence and an audited ban',
    async () => {
      const r = await ingest(bruteForce('203.0.113.7', 40));
      expect(r.statusCode, r.body).toBe(202);
      expect(r.json<{ accepted: number }>().accepted).toBe(40);
      const alerts = (await get<{ items: AlertView[] }>('/api/v1/threats/alerts?scenario=ssh-bf')).items;
      expect(alerts).toHaveLength(1);
      const a = alerts[0] as AlertView;
      expect(a.ip).toBe('203.0.113.7');
      expect(a.tier).toBe('decision');
      expect(a.samples.length).toBeGreaterThan(0);
      expect(a.samples[0]).toContain('Failed password for root from 203.0.113.7');
      // Overflows after the ban are counted into the same alert, not new ones.
      expect(a.overflows).toBeGreaterThanOrEqual(1);
      const active = (await get<{ items: DecisionView[] }>('/api/v1/threats/decisions?state=active')).items;
      const d = active.find((x) => x.value === '203.0.113.7');
      expect(d?.scenario).toBe('ssh-bf');
      expect(d?.reason).toMatch(/^ssh-bf: \d+ events in \d+ s \(log time \d{4}-\d\d-\d\dT[\d:]{8}Z\)$/);
      expect(d?.alertId).toBe(a.id);
      expect(d && d.until - d.createdAt).toBe(4 * 3600 * 1000);
      const audit = await t.audit.service.search({ action: 'threats.decision.create', limit: 10, order: 'desc' });
      expect(audit.items.map((e) => e.target)).toContain('203.0.113.7');

      // The same attacker again while banned (after the scenario's 1-minute blackhole): still one alert, with more
      // overflows counted into it.
      await ingest(bruteForce('203.0.113.7', 40, 'web1', 200));
      const again = (await get<{ items: AlertView[] }>('/api/v1/threats/alerts?scenario=ssh-bf')).items;
      expect(again).toHaveLength(1);
      expect((again[0] as AlertView).overflows).toBeGreaterThan(a.overflows);
      expect(t.threats.writer.stats().suppressed).toBeGreaterThan(0);
    },
  );

  it.skipIf(skip)('bans an IPv6 attacker on its /64, and the allowlist always wins', async () => {
    await ingest(bruteForce('2001:db8:1:2::7', 40));
    const active = (await get<{ items: DecisionView[] }>('/api/v1/threats/decisions')).items;
    expect(active.map((d) => d.value)).toContain('2001:db8:1:2::/64');

    const added = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/allowlist',
      headers: admin,
      payload: { cidr: '198.51.100.0/24', reason: 'our office' },
    });
    expect(added.statusCode, added.body).toBe(201);
    await t.threats.rebuildIndex();
    await ingest(bruteForce('198.51.100.9', 40));
    const after = (await get<{ items: DecisionView[] }>('/api/v1/threats/decisions')).items;
    expect(after.map((d) => d.value)).not.toContain('198.51.100.9');
    expect(t.threats.engine?.pipeline.counts.allowlisted).toBe(40);
    // A person cannot ban it either.
    const manual = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/decisions',
      headers: operator,
      payload: { target: '198.51.100.9', reason: 'looks odd' },
    });
    expect(manual.statusCode).toBe(409);
    expect(manual.json<{ code: string }>().code).toBe('allowlisted');
  });

  it.skipIf(skip)('bans and unbans by hand, audited, with clear answers for repeats and bad targets', async () => {
    const ban = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/decisions',
      headers: operator,
      payload: { target: '192.0.2.55', reason: 'scanning our panel', durationSeconds: 3600 },
    });
    expect(ban.statusCode, ban.body).toBe(201);
    const d = ban.json<DecisionView>();
    expect(d).toMatchObject({ value: '192.0.2.55', scope: 'ip', origin: 'manual', scenario: 'manual' });
    const dup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/decisions',
      headers: operator,
      payload: { target: '192.0.2.55', reason: 'again' },
    });
    expect(dup.json<{ code: string }>().code).toBe('already_banned');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/decisions',
      headers: operator,
      payload: { target: '10.0.0.0/4', reason: 'everything' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('target_too_broad');
    const viewerBan = await t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/decisions',
      headers: viewer,
      payload: { target: '192.0.2.56', reason: 'not allowed' },
    });
    expect(viewerBan.statusCode).toBe(403);

    const unban = await t.app.inject({ method: 'DELETE', url: `/api/v1/threats/decisions/${d.id}`, headers: operator });
    expect(unban.statusCode, unban.body).toBe(200);
    expect(unban.json<DecisionView>().deletedAt).toBeDefined();
    const twice = await t.app.inject({ method: 'DELETE', url: `/api/v1/threats/decisions/${d.id}`, headers: operator });
    expect(twice.json<{ code: string }>().code).toBe('decision_removed');
    const removed = (await get<{ items: DecisionView[] }>('/api/v1/threats/decisions?state=removed')).items;
    expect(removed.map((x) => x.id)).toEqual([d.id]);
    const audit = await t.audit.service.search({ action: 'threats.decision.delete', limit: 10, order: 'desc' });
    expect(audit.items).toHaveLength(1);
  });

  it.skipIf(skip)('pages on-call when an address logs in successfully after brute-forcing', async () => {
    const lines = [...bruteForce('203.0.113.99', 30), sshd(10, 'Accepted password for deploy from 203.0.113.99 port 50000 ssh2')];
    await ingest(lines);
    const pages = (await get<{ items: AlertView[] }>('/api/v1/threats/alerts?tier=page')).items;
    expect(pages.map((p) => p.scenario)).toContain('success-after-bruteforce');
    const incidents = await t.incidents.service.list(t.database.db, { limit: 10 });
    const hit = incidents.items.find((i) => i.summary.includes('203.0.113.99'));
    expect(hit?.summary).toMatch(/Successful ssh login as deploy .*after a brute force/);
  });

  it.skipIf(skip)('pages when one address attacks several customer environments', async () => {
    await t.dispose();
    t = await createTestApp(dialect, {
      env: { SKJOLD_THREATS_FLUSH_MS: '10000', SKJOLD_THREATS_CUSTOMER_HOSTS: 'cust-a,cust-b,cust-c' },
    });
    admin = (await createUserWithToken(t, 'admin')).headers;
    viewer = (await createUserWithToken(t, 'viewer')).headers;
    // Two failures on each of three customer hosts: no scenario fires, but the spread does.
    const lines = ['cust-a', 'cust-b', 'cust-c'].flatMap((h, i) => [
      sshd(100 - i, 'Failed password for root from 203.0.113.50 port 1 ssh2', h),
      sshd(90 - i, 'Failed password for admin from 203.0.113.50 port 2 ssh2', h),
    ]);
    await ingest(lines);
    const pages = (await get<{ items: AlertView[] }>('/api/v1/threats/alerts?tier=page')).items;
    expect(pages.map((p) => [p.scenario, p.ip])).toEqual([['multi-target', '203.0.113.50']]);
    expect(pages[0]?.samples).toHaveLength(3);
    const incidents = await t.incidents.service.list(t.database.db, { limit: 10 });
    expect(incidents.items.map((i) => i.summary)).toContain(
      '203.0.113.50 is attacking 3 customer environments (cust-a, cust-b, cust-c)',
    );
    const decisions = (await get<{ items: DecisionView[] }>('/api/v1/threats/decisions')).items;
    expect(decisions.map((d) => d.value)).toEqual(['203.0.113.50']);
  });

  it.skipIf(skip)(
    'puts a feed from a local file in force: a listed brute forcer pages, a lone listed hit only counts, a garbled copy is rejected',
    async () => {
      const file = join(t.testDb.dataDir, 'bad-ips.netset');
      writeFileSync(file, '# test list\n185.220.101.0/24\n45.155.205.233\n10.0.0.0/8\n');
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/threats/feeds',
        headers: admin,
        payload: { id: 'bad-ips', name: 'Bad IPs', file, format: 'plain', licence: 'CC0', attribution: 'tests', enabled: true },
      });
      expect(created.statusCode, created.body).toBe(201);
      const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/threats/feeds/bad-ips/refresh', headers: admin });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      // The private 10.0.0.0/8 inside the feed is never put in force.
      expect(refreshed.json<{ status: string; entries: number }>()).toMatchObject({ status: 'updated', entries: 2 });
      await t.threats.rebuildIndex();

      await ingest([...bruteForce('185.220.101.7', 30), sshd(5, 'Failed password for root from 45.155.205.233 port 1 ssh2')]);
      const alerts = (await get<{ items: AlertView[] }>('/api/v1/threats/alerts')).items;
      expect(alerts.map((a) => [a.ip, a.tier, a.listedBy])).toEqual([['185.220.101.7', 'page', ['Bad IPs']]]);
      expect(t.threats.engine?.pipeline.counts.listedHitsByFeed).toEqual({ 'Bad IPs': 31 });
      const look = await get<{
        listedBy: { name: string; kind: string; since: string | null }[];
        decisions: DecisionView[];
        alerts: AlertView[];
        geo: { country: string | null } | null;
      }>('/api/v1/threats/lookup?ip=185.220.101.7');
      expect(look.listedBy).toEqual([{ name: 'Bad IPs', kind: 'feed', since: expect.stringMatching(/^\d{4}-/) as string }]);
      expect(look.decisions.map((d) => d.value)).toEqual(['185.220.101.7']);
      expect(look.alerts).toHaveLength(1);
      expect(look.geo?.country).toMatch(/^[A-Z]{2}$/);
      const bad = await t.app.inject({ method: 'GET', url: '/api/v1/threats/lookup?ip=10.0.0.0%2F8', headers: viewer });
      expect(bad.json<{ code: string }>().code).toBe('invalid_ip');

      writeFileSync(file, '<html><body>502 Bad Gateway</body></html>\n');
      const garbled = await t.app.inject({ method: 'POST', url: '/api/v1/threats/feeds/bad-ips/refresh', headers: admin });
      expect(garbled.json<{ status: string; entries: number }>()).toMatchObject({ status: 'rejected', entries: 2 });
      const feeds = (
        await get<{ items: { id: string; status: string; entries: number; reason: string }[] }>('/api/v1/threats/feeds')
      ).items;
      expect(feeds[0]).toMatchObject({ id: 'bad-ips', status: 'rejected', entries: 2 });
      await t.threats.rebuildIndex();
      expect(t.threats.engine?.index.current.lookup('185.220.101.9')?.sources.map((x) => x.name)).toEqual(['Bad IPs']);
    },
  );

  it.skipIf(skip)('takes NDJSON rows, reporting each bad row by its line number and keeping the rest', async () => {
    const body = [
      JSON.stringify({ line: sshd(20, 'Failed password for root from 203.0.113.8 port 1 ssh2') }),
      '{not json',
      JSON.stringify({ other: 1 }),
      JSON.stringify({ message: sshd(19, 'Failed password for root from 203.0.113.8 port 2 ssh2') }),
    ];
    const r = await ingest(body, 'application/x-ndjson');
    expect(r.statusCode, r.body).toBe(202);
    const j = r.json<{ accepted: number; rejected: number; errors: { line: number; reason: string }[] }>();
    expect(j.accepted).toBe(2);
    expect(j.rejected).toBe(2);
    expect(j.errors).toEqual([
      { line: 2, reason: 'invalid_json' },
      { line: 3, reason: 'missing_line' },
    ]);
    expect(t.threats.engine?.pipeline.counts.events).toBe(2);
  });

  it.skipIf(skip)('shows the live overview with top attackers and totals', async () => {
    await ingest([...bruteForce('203.0.113.7', 30), ...bruteForce('203.0.113.8', 30)]);
    const o = await get<{
      topIps: { ip: string }[];
      totals: { activeDecisions: number };
      byScenario: { scenario: string }[];
      decisionsByScenario: { scenario: string; decisions: number }[];
    }>('/api/v1/threats/overview?hours=24');
    expect(o.topIps.map((i) => i.ip).sort()).toEqual(['203.0.113.7', '203.0.113.8']);
    expect(o.totals.activeDecisions).toBe(2);
    expect(o.byScenario.map((s) => s.scenario)).toContain('ssh-bf');
    expect(o.decisionsByScenario).toEqual([{ scenario: 'ssh-bf', decisions: 2 }]);
  });
});
