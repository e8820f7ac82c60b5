import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../../../test/receivers.ts';
import type { IncidentDetail } from '../incidents/incidents.service.ts';
import { verifyWebhookSignature } from './channels/webhook-signature.ts';
import type { PageView } from './api/paging.routes.ts';

type Headers = Record<string, string>;
const SECRET = 'webhook-secret-0123456789';

describe.each(DIALECTS)('paging on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: Headers;
  let ann: { id: string; username: string };
  let bob: { id: string; username: string };
  let hook: HttpReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    if (skip) return;
    hook = await startHttpReceiver();
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    if (skip) return;
    await hook.close();
    await smtp.close();
  });
  beforeEach(async () => {
    if (skip) return;
    hook.requests.length = 0;
    hook.respondWith(200, 'ok');
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ONCALL_PAGING_POLL_MS: '60000' } });
    admin = (await createUserWithToken(t, 'admin')).headers;
    ann = (await createUserWithToken(t, 'operator')).user;
    bob = (await createUserWithToken(t, 'operator')).user;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Headers = admin) => {
    const res = await t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    return res;
  };
  const ok = async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<T> => {
    const res = await api(method, url, payload);
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json<T>();
  };
  const webhookChannel = (name = 'ops-hook') =>
    ok('POST', '/api/v1/notification-channels', { name, config: { kind: 'webhook', url: `${hook.url}/page`, secret: SECRET } });
  const emailChannel = (port: number, name = 'mail') =>
    ok('POST', '/api/v1/notification-channels', {
      name,
      forUsers: true,
      config: { kind: 'email', host: '127.0.0.1', port, from: 'skjold@example.org' },
    });
  const raise = async (key = 'monitor:web') =>
    t.incidents.sink.raise(t.database.db, {
      source: 'monitoring',
      dedupKey: key,
      status: 'firing',
      severity: 'critical',
      summary: `${key} is down`,
    });
  const settle = async () => {
    await t.oncall.pager.runOnce();
    await t.oncall.pager.idle();
  };
  const pages = async (incidentId: string) =>
    (await ok<{ items: PageView[] }>('GET', `/api/v1/oncall/pages?incidentId=${incidentId}`)).items;
  const timeline = async (incidentId: string) =>
    (await ok<IncidentDetail>('GET', `/api/v1/incidents/${incidentId}`)).timeline.filter(
      (e) => e.kind === 'notification' || e.kind === 'escalation',
    );

  it.skipIf(skip)('pages level 1 at once, escalates to level 2 on time, and stops when acknowledged', async () => {
    await webhookChannel();
    await emailChannel(smtp.port);
    await ok('PUT', `/api/v1/oncall/contacts/${ann.id}`, { email: 'ann@example.org', channels: ['mail'] });
    await ok('PUT', `/api/v1/oncall/contacts/${bob.id}`, { email: 'bob@example.org', channels: ['mail'] });
    await ok('POST', '/api/v1/escalation-policies', {
      name: 'Default',
      isDefault: true,
      levels: [
        { targets: [{ user: ann.username }, { channel: 'ops-hook' }], escalateAfterSeconds: 300 },
        { targets: [{ user: bob.username }], escalateAfterSeconds: 300 },
        { targets: [{ user: ann.username }], escalateAfterSeconds: 300 },
      ],
    });
    const before = smtp.messages.length;
    const r = await raise();
    expect(r).toMatchObject({ effect: 'opened', page: true });
    await settle();
    // Level 1: Ann by e-mail and the ops webhook, once each.
    const mails = smtp.messages.slice(before);
    expect(mails.map((m) => m.to)).toEqual([['ann@example.org']]);
    expect(mails[0]?.text).toContain('monitor:web is down');
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    expect(verifyWebhookSignature(SECRET, String(req.headers['x-skjold-signature']), req.body, t.manualClock!.now())).toBe(true);
    expect(req.json).toMatchObject({ type: 'page', level: 1, incident: { id: r.incidentId, severity: 'critical' } });

    // Nothing more before the delay; level 2 (Bob) right after it.
    t.manualClock!.advance(299_000);
    await settle();
    expect(smtp.messages.length - before).toBe(1);
    t.manualClock!.advance(2_000);
    await settle();
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(['ann@example.org', 'bob@example.org']);

    // Bob acknowledges: level 3 never goes out.
    expect((await api('POST', `/api/v1/incidents/${r.incidentId}/ack`)).statusCode).toBe(200);
    t.manualClock!.advance(600_000);
    await settle();
    expect(smtp.messages.length - before).toBe(2);
    const ps = await pages(r.incidentId);
    expect(ps.map((p) => [p.level, p.state])).toEqual([
      [1, 'sent'],
      [1, 'sent'],
      [2, 'sent'],
    ]);
    const tl = await timeline(r.incidentId);
    expect(tl.filter((e) => e.kind === 'notification').map((e) => (e.body as { outcome: string }).outcome)).toEqual([
      'sent',
      'sent',
      'sent',
    ]);
    expect(tl.filter((e) => e.kind === 'escalation').map((e) => (e.body as { level: number }).level)).toEqual([1, 1, 2]);
  });

  it.skipIf(skip)('pages whoever a schedule has on call, and says so on the timeline when nobody matches', async () => {
    await emailChannel(smtp.port);
    await ok('PUT', `/api/v1/oncall/contacts/${bob.id}`, { email: 'bob@example.org', channels: [] });
    const day = t.manualClock!.now().toISOString().slice(0, 10);
    await ok('POST', '/api/v1/oncall/schedules', {
      name: 'Primary',
      layers: [{ name: 'L1', users: [bob.id], rotation: 'daily', handoffTime: '00:00', startDate: day }],
    });
    await ok('POST', '/api/v1/escalation-policies', {
      name: 'web only',
      match: { dedupKeyPrefix: 'monitor:' },
      levels: [{ targets: [{ schedule: 'Primary' }] }],
    });
    const before = smtp.messages.length;
    await raise('monitor:db');
    await settle();
    // Bob has no channel order of his own: the channel for users is his default.
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(['bob@example.org']);
    // A vulnerability signal matches no policy and there is no default: registered, and the timeline says why.
    const v = await t.incidents.sink.raise(t.database.db, {
      source: 'vulns',
      dedupKey: 'cve:1',
      status: 'firing',
      severity: 'major',
      summary: 'KEV on web-1',
    });
    await settle();
    const tl = await timeline(v.incidentId);
    expect(tl.map((e) => [e.kind, (e.body as { target: string }).target])).toEqual([['escalation', 'nobody']]);
    expect((tl[0]?.body as { reason: string }).reason).toContain('no escalation policy');
  });

  it.skipIf(skip)('retries a failing channel with backoff, then falls back to the next one', async () => {
    // Port 9 on loopback: nothing listens there, so the SMTP connection is refused.
    await emailChannel(9, 'dead-mail');
    await webhookChannel('fallback-hook');
    await ok('PUT', `/api/v1/oncall/contacts/${ann.id}`, { email: 'ann@example.org', channels: ['dead-mail', 'fallback-hook'] });
    await ok('POST', '/api/v1/escalation-policies', {
      name: 'p',
      isDefault: true,
      levels: [{ targets: [{ user: ann.username }] }],
    });
    const r = await raise();
    await settle();
    expect(hook.requests).toHaveLength(0);
    let [p] = await pages(r.incidentId);
    expect(p).toMatchObject({ state: 'pending', attempts: 1 });
    t.manualClock!.advance(1_000);
    await settle();
    t.manualClock!.advance(4_000);
    await settle();
    // Three attempts on e-mail, then the webhook at once.
    await settle();
    expect(hook.requests).toHaveLength(1);
    [p] = await pages(r.incidentId);
    expect(p).toMatchObject({ state: 'sent', channel: 'webhook:fallback-hook' });
    const outcomes = (await timeline(r.incidentId))
      .filter((e) => e.kind === 'notification')
      .map((e) => [(e.body as { channel: string }).channel, (e.body as { outcome: string }).outcome]);
    expect(outcomes).toEqual([
      ['email:dead-mail', 'failed'],
      ['webhook:fallback-hook', 'sent'],
    ]);
  });

  it.skipIf(skip)('repeats the policy as often as it says, then ends the escalation and says so', async () => {
    await webhookChannel();
    await ok('POST', '/api/v1/escalation-policies', {
      name: 'p',
      isDefault: true,
      repeat: 1,
      levels: [{ targets: [{ channel: 'ops-hook' }], escalateAfterSeconds: 60 }],
    });
    const r = await raise();
    await settle();
    t.manualClock!.advance(61_000);
    await settle();
    t.manualClock!.advance(61_000);
    await settle();
    t.manualClock!.advance(600_000);
    await settle();
    // Once, then once more for the repeat; nothing after the end.
    expect(hook.requests).toHaveLength(2);
    expect((await pages(r.incidentId)).map((p) => [p.level, p.round, p.state])).toEqual([
      [1, 0, 'sent'],
      [1, 1, 'sent'],
    ]);
    const steps = (await timeline(r.incidentId))
      .filter((e) => e.kind === 'escalation')
      .map((e) => e.body as { target: string; reason?: string });
    expect(steps.map((b) => b.target)).toEqual(['channel ops-hook', 'channel ops-hook', 'end']);
    expect(steps[1]?.reason).toBe('repeat 1 of the policy');
    expect(steps[2]?.reason).toContain('nobody acknowledged');
  });

  it.skipIf(skip)('an API-only process leaves its pages pending for the engine, which sends them at its next look', async () => {
    const api = await createTestApp(dialect, { env: { SKJOLD_ROLES: 'api', SKJOLD_ONCALL_PAGING_POLL_MS: '60000' } });
    try {
      await api.oncall.paging.createChannel(api.database.db, {
        name: 'ops-hook',
        forUsers: false,
        enabled: true,
        config: { kind: 'webhook', url: `${hook.url}/page`, secret: SECRET },
      });
      await api.oncall.paging.createPolicy(api.database.db, {
        name: 'p',
        description: '',
        isDefault: true,
        repeat: 0,
        match: {},
        levels: [{ targets: [{ channel: 'ops-hook' }], escalateAfterSeconds: 300 }],
      });
      await api.incidents.sink.raise(api.database.db, {
        source: 'monitoring',
        dedupKey: 'monitor:api-only',
        status: 'firing',
        severity: 'major',
        summary: 'raised on an API-only node',
      });
      const rows = await api.database.db.selectFrom('oncall_outbox').select(['state', 'attempts', 'lease_until']).execute();
      expect(rows).toEqual([{ state: 'pending', attempts: 0, lease_until: null }]);
      expect(hook.requests).toHaveLength(0);
      // The engine's round (here on the same database) claims and sends it.
      await api.oncall.pager.runOnce();
      await api.oncall.pager.idle();
      expect(hook.requests).toHaveLength(1);
    } finally {
      await api.dispose();
    }
  });

  it.skipIf(skip)('a channel that hangs delays no other page', async () => {
    const stuck = await startHttpReceiver();
    try {
      stuck.hang();
      await ok('POST', '/api/v1/notification-channels', {
        name: 'stuck-hook',
        config: { kind: 'webhook', url: `${stuck.url}/page`, secret: SECRET },
      });
      await webhookChannel();
      await ok('POST', '/api/v1/escalation-policies', {
        name: 'p',
        isDefault: true,
        levels: [{ targets: [{ channel: 'stuck-hook' }, { channel: 'ops-hook' }] }],
      });
      const started = Date.now();
      const r = await raise();
      void t.oncall.pager.runOnce();
      // The healthy channel gets its page while the other one's request is still hanging (10 s send timeout).
      await hook.waitFor(1, 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      await stuck.waitFor(1, 5_000);
      let states: string[] = [];
      for (let i = 0; i < 50 && !states.includes('sent'); i++) {
        await new Promise((res) => setTimeout(res, 50));
        states = (await pages(r.incidentId)).map((p) => p.state).sort();
      }
      // Recorded as sent while the other page is still on the wire.
      expect(states).toEqual(['sending', 'sent']);
    } finally {
      await stuck.close();
    }
  });

  it.skipIf(skip)('shows pages by state and open incidents on /metrics', async () => {
    await webhookChannel();
    await ok('POST', '/api/v1/escalation-policies', {
      name: 'p',
      isDefault: true,
      levels: [{ targets: [{ channel: 'ops-hook' }] }],
    });
    await raise();
    await settle();
    const res = await api('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('skjold_paging_pages{state="sent"} 1');
    expect(res.body).toContain('skjold_paging_pages{state="failed"} 0');
    expect(res.body).toContain('skjold_incidents_open{state="triggered"} 1');
    expect(res.body).toMatch(/skjold_monitoring_scheduling_lag_seconds\{quantile="0.99"\} [0-9.e-]+/);
  });

  it.skipIf(skip)('a page that reaches nobody is itself registered as a deviation', async () => {
    await ok('POST', '/api/v1/notification-channels', {
      name: 'rejecting-hook',
      config: { kind: 'webhook', url: `${hook.url}/page`, secret: SECRET },
    });
    hook.respondWith(400, 'bad request');
    await ok('POST', '/api/v1/escalation-policies', {
      name: 'p',
      isDefault: true,
      levels: [{ targets: [{ channel: 'rejecting-hook' }] }],
    });
    const r = await raise();
    await settle();
    const [p] = await pages(r.incidentId);
    expect(p).toMatchObject({ state: 'failed' });
    const failed = await t.database.db
      .selectFrom('incidents_incidents')
      .select(['source', 'severity', 'summary'])
      .where('dedup_key', 'like', 'paging-failed:%')
      .execute();
    expect(failed).toMatchObject([{ source: 'oncall', severity: 'critical' }]);
  });

  it.skipIf(skip)(
    'acknowledges through the signed link once; GET only asks; forged, reused and expired links are refused',
    async () => {
      await webhookChannel();
      await ok('POST', '/api/v1/escalation-policies', {
        name: 'p',
        isDefault: true,
        levels: [{ targets: [{ channel: 'ops-hook' }] }],
      });
      const r = await raise();
      await settle();
      const ackUrl = new URL((hook.requests[0]!.json as { ackUrl: string }).ackUrl);
      const path = ackUrl.pathname;
      const ask = await t.app.inject({ method: 'GET', url: path, headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(ask.statusCode).toBe(200);
      expect(ask.headers['content-type']).toContain('text/html');
      expect(ask.body).toContain('monitor:web is down');
      expect(ask.body).toContain('<form method="post"');
      expect((await ok<IncidentDetail>('GET', `/api/v1/incidents/${r.incidentId}`)).state).toBe('triggered');
      // An API client (no text/html) gets JSON, and problem JSON for a bad link.
      expect((await t.app.inject({ method: 'GET', url: path })).json()).toMatchObject({
        incidentId: r.incidentId,
        state: 'triggered',
      });
      const wrong = await t.app.inject({ method: 'POST', url: `${path}x` });
      expect(wrong.headers['content-type']).toContain('application/problem+json');
      expect(wrong.json()).toMatchObject({ status: 404, code: 'ack_link_invalid' });

      const forged = path.slice(0, -2) + (path.endsWith('AA') ? 'BB' : 'AA');
      expect(
        (await t.app.inject({ method: 'POST', url: forged, headers: { 'content-type': 'text/plain' }, payload: 'confirm=yes' }))
          .statusCode,
      ).toBe(404);
      const yes = await t.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'text/plain' },
        payload: 'confirm=yes',
      });
      expect(yes.statusCode, yes.body).toBe(200);
      expect(yes.body).toContain('Acknowledged');
      const inc = await ok<IncidentDetail>('GET', `/api/v1/incidents/${r.incidentId}`);
      expect(inc.state).toBe('acknowledged');
      expect(inc.timeline.find((e) => e.kind === 'ack')?.actorName).toContain('ops-hook');
      expect(
        (await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'text/plain' }, payload: 'confirm=yes' }))
          .statusCode,
      ).toBe(410);

      // A link from a second incident, used after 24 hours: expired.
      hook.requests.length = 0;
      const r2 = await raise('monitor:mail');
      await settle();
      const late = new URL((hook.requests[0]!.json as { ackUrl: string }).ackUrl).pathname;
      t.manualClock!.advance(24 * 3600_000 + 1000);
      expect(
        (await t.app.inject({ method: 'POST', url: late, headers: { 'content-type': 'text/plain' }, payload: 'confirm=yes' }))
          .statusCode,
      ).toBe(410);
      expect((await ok<IncidentDetail>('GET', `/api/v1/incidents/${r2.incidentId}`)).state).toBe('triggered');
    },
  );

  it.skipIf(skip)('keeps channel secrets sealed at rest and out of every answer; apply and export round-trip', async () => {
    const c = await ok<{ id: string; secretsSet: string[]; config: Record<string, unknown> }>(
      'POST',
      '/api/v1/notification-channels',
      {
        name: 'slack',
        config: { kind: 'slack', url: 'https://hooks.slack.example/services/T000/B000/SECRETPART' },
      },
    );
    expect(c.secretsSet).toEqual(['url']);
    expect(JSON.stringify(c)).not.toContain('SECRETPART');
    const row = await t.database.db.selectFrom('oncall_channels').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('SECRETPART');
    const exported = await ok<{ channels: unknown[] }>('GET', '/api/v1/notification-channels/export');
    expect(JSON.stringify(exported)).not.toContain('SECRETPART');
    // Applying the export (secrets left out) changes nothing and keeps the secret.
    const again = await ok<{ results: { action: string }[] }>('POST', '/api/v1/notification-channels/apply', exported);
    expect(again.results.map((x) => x.action)).toEqual(['unchanged']);

    const policies = {
      escalationPolicies: [
        {
          name: 'Default',
          isDefault: true,
          levels: [{ targets: [{ user: ann.username }, { channel: 'slack' }], escalateAfterSeconds: 120 }],
        },
      ],
    };
    expect(
      (await ok<{ results: { action: string }[] }>('POST', '/api/v1/escalation-policies/apply', policies)).results,
    ).toMatchObject([{ action: 'created' }]);
    expect(
      (await ok<{ results: { action: string }[] }>('POST', '/api/v1/escalation-policies/apply', policies)).results,
    ).toMatchObject([{ action: 'unchanged' }]);
    const ex = await ok<typeof policies>('GET', '/api/v1/escalation-policies/export');
    expect(ex.escalationPolicies[0]).toMatchObject(policies.escalationPolicies[0]!);
    expect((await ok<{ results: { action: string }[] }>('POST', '/api/v1/escalation-policies/apply', ex)).results).toMatchObject([
      { action: 'unchanged' },
    ]);

    // A policy naming what does not exist is refused with the exact path; nothing is written.
    const bad = await api('POST', '/api/v1/escalation-policies/apply', {
      escalationPolicies: [{ name: 'x', levels: [{ targets: [{ user: 'nobody-here' }] }] }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { path: string }[] }>().errors).toEqual([
      expect.objectContaining({ path: 'body.escalationPolicies.0.levels.0.targets.0' }),
    ]);
    expect((await ok<{ items: unknown[] }>('GET', '/api/v1/escalation-policies')).items).toHaveLength(1);
  });
});
