import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { BouncerWithKey } from '../bouncers.service.ts';
import { createEnforceTestApp, type EnforceTestApp } from './enforce.test-app.ts';

interface WireDecision {
  id: number;
  origin: string;
  type: string;
  scope: string;
  value: string;
  duration: string;
  scenario: string;
  simulated: boolean;
  uuid: string;
}
interface StreamAnswer {
  new: WireDecision[] | null;
  deleted: WireDecision[] | null;
}

const STREAM = '/api/crowdsec/v1/decisions/stream';

describe.each(DIALECTS)('CrowdSec bouncer API on $dialect', ({ dialect, skip }) => {
  let e: EnforceTestApp;
  let b: BouncerWithKey;

  beforeEach(async () => {
    if (skip) return;
    e = await createEnforceTestApp(dialect, { manualClock: true });
    b = await e.bouncer();
  });
  afterEach(async () => {
    if (!skip) await e.t.dispose();
  });

  const pull = async (query = 'startup=false', key = b.apiKey): Promise<StreamAnswer> => {
    const res = await e.t.app.inject({ method: 'GET', url: `${STREAM}?${query}`, headers: { 'x-api-key': key } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return res.json<StreamAnswer>();
  };
  const values = (l: WireDecision[] | null) => (l ?? []).map((d) => d.value).sort();
  const advance = (ms: number) => e.t.manualClock!.advance(ms);

  it.skipIf(skip)('refuses a missing or wrong key as CrowdSec does, and audits the refusal', async () => {
    for (const headers of [{}, { 'x-api-key': 'nope' }, { 'x-api-key': `skb_${'A'.repeat(43)}` }]) {
      const res = await e.t.app.inject({ method: 'GET', url: `${STREAM}?startup=true`, headers });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ message: string; status: number }>()).toMatchObject({ message: 'access forbidden', status: 403 });
    }
    const live = await e.t.app.inject({
      method: 'GET',
      url: '/api/crowdsec/v1/decisions?ip=1.2.3.4',
      headers: { 'x-api-key': 'x' },
    });
    expect(live.statusCode).toBe(403);
    await e.t.audit.sink.flush();
    const denied = await e.t.database.db
      .selectFrom('audit_entries')
      .select(['action', 'outcome'])
      .where('action', '=', 'threats.bouncer.pull')
      .execute();
    expect(denied).toHaveLength(4);
    expect(denied.every((d) => d.outcome === 'denied')).toBe(true);
    // A user's API token is not a bouncer key.
    const token = await createUserWithToken(e.t, 'admin', { scopes: ['threats.read'] });
    const res = await e.t.app.inject({ method: 'GET', url: `${STREAM}?startup=true`, headers: { 'x-api-key': token.token } });
    expect(res.statusCode).toBe(403);
  });

  it.skipIf(skip)('answers startup with every active enforced decision in CrowdSec’s exact shape', async () => {
    const ip = await e.ban('203.0.113.7', { durationSeconds: 4 * 3600 });
    const net = await e.ban('2001:db8:1:2::/64', { durationSeconds: 600, origin: 'manual', scenario: 'manual:alice' });
    await e.ban('198.51.100.1', { simulated: true });
    const gone = await e.ban('198.51.100.2');
    await e.unban(gone.id);
    advance(2000);
    const s = await pull('startup=true');
    expect(s.deleted).toBeNull();
    expect(s.new).toEqual([
      {
        duration: '3h59m58s',
        id: ip.seq,
        origin: 'skjold',
        scenario: 'skjold/ssh-bruteforce',
        scope: 'Ip',
        simulated: false,
        type: 'ban',
        uuid: ip.id,
        value: '203.0.113.7',
      },
      {
        duration: '9m58s',
        id: net.seq,
        origin: 'manual',
        scenario: 'manual:alice',
        scope: 'Range',
        simulated: false,
        type: 'ban',
        uuid: net.id,
        value: '2001:db8:1:2::/64',
      },
    ]);
    // Nothing changed since: both lists null, as CrowdSec answers.
    expect(await pull()).toEqual({ new: null, deleted: null });
  });

  it.skipIf(skip)('sends deltas: new bans, unbans and expiries since this bouncer’s last pull', async () => {
    const a = await e.ban('192.0.2.1', { durationSeconds: 60 });
    expect(values((await pull('startup=true')).new)).toEqual(['192.0.2.1']);

    const c = await e.ban('192.0.2.3', { durationSeconds: 3600 });
    await e.ban('192.0.2.4', { simulated: true });
    const d1 = await pull();
    expect(d1.new?.map((d) => d.uuid)).toEqual([c.id]);
    expect(d1.deleted).toBeNull();

    // Another bouncer pulling does not move this one's mark.
    const other = await e.bouncer();
    expect(values((await pull('startup=true', other.apiKey)).new)).toEqual(['192.0.2.1', '192.0.2.3']);

    await e.unban(c.id);
    advance(61_000); // a expires
    const d2 = await pull();
    expect(d2.new).toBeNull();
    expect(values(d2.deleted)).toEqual(['192.0.2.1', '192.0.2.3']);
    expect(d2.deleted?.find((d) => d.uuid === a.id)?.duration).toBe('-1s');
    expect(await pull()).toEqual({ new: null, deleted: null });

    // The other bouncer gets the same changes at its own pace.
    expect(values((await pull('startup=false', other.apiKey)).deleted)).toEqual(['192.0.2.1', '192.0.2.3']);
  });

  it.skipIf(skip)('never lifts a ban that another decision still holds on the same value', async () => {
    const first = await e.ban('192.0.2.9', { durationSeconds: 600 });
    await pull('startup=true');
    await e.unban(first.id);
    const again = await e.ban('192.0.2.9', { durationSeconds: 7200 });
    const d = await pull();
    expect(d.deleted).toBeNull();
    expect(d.new?.map((x) => [x.uuid, x.duration])).toEqual([[again.id, '2h0m0s']]);
  });

  it.skipIf(skip)('applies the bouncer’s scope, origin and scenario filters', async () => {
    await e.ban('192.0.2.1', { scenario: 'skjold/ssh-bruteforce' });
    await e.ban('192.0.2.0/28', { scenario: 'skjold/http-probing' });
    await e.ban('192.0.2.77', { origin: 'manual', scenario: 'manual:bob' });
    expect(values((await pull('startup=true&scopes=ip')).new)).toEqual(['192.0.2.1', '192.0.2.77']);
    expect(values((await pull('startup=true&scopes=Range')).new)).toEqual(['192.0.2.0/28']);
    expect(values((await pull('startup=true&origins=manual')).new)).toEqual(['192.0.2.77']);
    expect(values((await pull('startup=true&scenarios_containing=ssh,http')).new)).toEqual(['192.0.2.0/28', '192.0.2.1']);
    expect(values((await pull('startup=true&scenarios_not_containing=ssh')).new)).toEqual(['192.0.2.0/28', '192.0.2.77']);
  });

  it.skipIf(skip)('answers a HEAD liveness probe without moving the pull mark', async () => {
    await pull('startup=true');
    await e.ban('192.0.2.5');
    const head = await e.t.app.inject({ method: 'HEAD', url: `${STREAM}?startup=false`, headers: { 'x-api-key': b.apiKey } });
    expect(head.statusCode).toBe(200);
    expect(values((await pull()).new)).toEqual(['192.0.2.5']);
  });

  it.skipIf(skip)('accepts usage metrics from a bouncer (and refuses them without its key)', async () => {
    const payload = { remediation_components: [{ version: 'v0.0.31', type: 'crowdsec-firewall-bouncer' }] };
    const ok = await e.t.app.inject({
      method: 'POST',
      url: '/api/crowdsec/v1/usage-metrics',
      headers: { 'x-api-key': b.apiKey },
      payload,
    });
    expect(ok.statusCode).toBe(201);
    const no = await e.t.app.inject({ method: 'POST', url: '/api/crowdsec/v1/usage-metrics', payload });
    expect(no.statusCode).toBe(403);
    expect(no.json<{ message: string }>().message).toBe('access forbidden');
  });

  it.skipIf(skip)('answers the live check of one address: its decisions and covering networks, or null', async () => {
    const live = async (q: string) => {
      const res = await e.t.app.inject({
        method: 'GET',
        url: `/api/crowdsec/v1/decisions?${q}`,
        headers: { 'x-api-key': b.apiKey },
      });
      expect(res.statusCode).toBe(200);
      return res.body;
    };
    expect(await live('ip=192.0.2.1')).toBe('null');
    await e.ban('192.0.2.1');
    await e.ban('192.0.2.0/24', { durationSeconds: 60 });
    await e.ban('2001:db8::/64');
    expect(values(JSON.parse(await live('ip=192.0.2.1')) as WireDecision[])).toEqual(['192.0.2.0/24', '192.0.2.1']);
    expect(values(JSON.parse(await live('ip=192.0.2.200')) as WireDecision[])).toEqual(['192.0.2.0/24']);
    expect(values(JSON.parse(await live('ip=2001:DB8::1')) as WireDecision[])).toEqual(['2001:db8::/64']);
    expect(values(JSON.parse(await live('range=192.0.2.0/24')) as WireDecision[])).toEqual(['192.0.2.0/24']);
    expect(await live('ip=not-an-ip')).toBe('null');
    advance(61_000);
    expect(await live('ip=192.0.2.200')).toBe('null');
  });

  it.skipIf(skip)('lets admins create, list and delete bouncers; the key is shown once and stops on delete', async () => {
    const admin = (await createUserWithToken(e.t, 'admin', { scopes: ['threats.read', 'threats.write'] })).headers;
    const viewer = (await createUserWithToken(e.t, 'viewer', { scopes: ['threats.read'] })).headers;
    const created = await e.t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/bouncers',
      headers: admin,
      payload: { name: 'edge-fw' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const nb = created.json<BouncerWithKey>();
    expect(nb.apiKey).toMatch(/^skb_[A-Za-z0-9_-]{43}$/);
    const dup = await e.t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/bouncers',
      headers: admin,
      payload: { name: 'edge-fw' },
    });
    expect(dup.json<{ code: string }>().code).toBe('bouncer_exists');
    const bad = await e.t.app.inject({
      method: 'POST',
      url: '/api/v1/threats/bouncers',
      headers: admin,
      payload: { name: 'a b' },
    });
    expect(bad.json<{ code: string }>().code).toBe('invalid_bouncer_name');
    expect(
      (await e.t.app.inject({ method: 'POST', url: '/api/v1/threats/bouncers', headers: viewer, payload: { name: 'x' } }))
        .statusCode,
    ).toBe(403);

    await pull('startup=true', nb.apiKey);
    // The mark is written once the answer is out; a second pull waits for it.
    await pull('startup=false', nb.apiKey);
    const list = await e.t.app.inject({ method: 'GET', url: '/api/v1/threats/bouncers', headers: viewer });
    expect(list.body).not.toContain('skb_');
    expect(list.body).not.toContain('key_hash');
    const item = list
      .json<{ items: { name: string; lastPullAt: string | null; lastIp: string | null }[] }>()
      .items.find((i) => i.name === 'edge-fw');
    expect(item?.lastPullAt).not.toBeNull();
    expect(item?.lastIp).toBe('127.0.0.1');

    const del = await e.t.app.inject({ method: 'DELETE', url: `/api/v1/threats/bouncers/${nb.id}`, headers: admin });
    expect(del.statusCode).toBe(204);
    const after = await e.t.app.inject({ method: 'GET', url: `${STREAM}?startup=true`, headers: { 'x-api-key': nb.apiKey } });
    expect(after.statusCode).toBe(403);
    await e.t.audit.sink.flush();
    const actions = await e.t.database.db
      .selectFrom('audit_entries')
      .select('action')
      .where('outcome', '=', 'allowed')
      .where('action', 'like', 'threats.bouncers.%')
      .execute();
    expect(actions.map((a) => a.action).sort()).toEqual(['threats.bouncers.create', 'threats.bouncers.delete']);
  });

  it.skipIf(skip)(
    'answers a startup pull of 100,000 decisions',
    async () => {
      // Rows straight into the table, numbered as the service numbers them (the service writes an audit record each).
      const db = e.t.database.db;
      const now = e.t.clock.now().getTime();
      const base = await db
        .selectFrom('threats_counters')
        .select('value')
        .where('name', '=', 'decisions')
        .executeTakeFirstOrThrow();
      const start = Number(base.value);
      const N = 100_000;
      // One statement on both databases: a recursive counter, addresses 11.0.0.0 upwards.
      await sql`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${N - 1})
      INSERT INTO threats_decisions
        (id, value, scope, type, origin, scenario, reason, alert_id, offence, simulated, created_at, until, deleted_at, deleted_by, seq)
      SELECT 'bulk-' || i, '11.' || (i / 65536) || '.' || ((i / 256) % 256) || '.' || (i % 256), 'ip', 'ban', 'feed',
        'feed:spamhaus-drop', '', NULL, 1, 0, ${new Date(now).toISOString()}, ${new Date(now + 3_600_000).toISOString()},
        NULL, NULL, ${start} + i + 1
      FROM n`.execute(db);
      await db
        .updateTable('threats_counters')
        .set({ value: start + N })
        .where('name', '=', 'decisions')
        .execute();
      const s = await pull('startup=true');
      expect(s.new).toHaveLength(N);
      expect(s.new?.[N - 1]).toMatchObject({ id: start + N, value: '11.1.134.159', duration: '1h0m0s', scope: 'Ip' });
      expect(await pull()).toEqual({ new: null, deleted: null });
    },
    120_000,
  );
});
