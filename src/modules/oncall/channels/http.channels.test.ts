import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HttpReceiver, HUGE_BODY_BYTES, startHttpReceiver } from '../../../../test/receivers.ts';
import { type ChannelConfigInput, ChannelError, channelConfigSchema, createChannel, verifyWebhookSignature } from './channels.ts';
import { testPage, thrown } from './channel.test-fixtures.ts';
import { boundedRequest } from './bounded-http.ts';
import { MAX_RESPONSE_BYTES } from './channel.types.ts';

const SECRET = 'whsec-0123456789abcdef';
const NOW = new Date('2026-11-27T12:00:00.000Z');

const channel = (input: ChannelConfigInput, timeoutMs = 2_000) =>
  createChannel(channelConfigSchema.parse(input), { timeoutMs, now: () => NOW });

describe('HTTP paging channels', () => {
  let plain: HttpReceiver;
  let tls: HttpReceiver;

  beforeAll(async () => {
    [plain, tls] = await Promise.all([startHttpReceiver(), startHttpReceiver({ tls: true })]);
  });
  afterAll(async () => {
    await Promise.all([plain.close(), tls.close()]);
  });
  beforeEach(() => {
    for (const r of [plain, tls]) {
      r.requests.length = 0;
      r.respondWith(200, 'ok');
    }
  });

  describe('webhook', () => {
    it('POSTs the page as signed JSON over HTTPS, trusting the configured CA', async () => {
      const page = testPage();
      const receipt = await channel({ kind: 'webhook', url: `${tls.url}/hooks/skjold`, secret: SECRET, ca: tls.ca }).send(page);
      expect(receipt).toEqual({ receipt: 'HTTP 200: ok' });
      const [req] = await tls.waitFor(1);
      expect(req?.method).toBe('POST');
      expect(req?.url).toBe('/hooks/skjold');
      expect(req?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(req?.headers['user-agent']).toBe('Skjold');
      expect(req?.headers['x-skjold-delivery']).toBe(page.id);
      expect(req?.json).toEqual({
        type: 'page',
        id: page.id,
        incident: { id: 'inc-42', summary: page.summary, severity: 'critical', url: page.incidentUrl },
        level: 2,
        recipient: page.recipient,
        ackUrl: page.ackUrl,
        sentAt: NOW.toISOString(),
      });
      const header = req?.headers['x-skjold-signature'] as string;
      expect(header).toMatch(new RegExp(`^t=${NOW.getTime() / 1000},v1=[0-9a-f]{64}$`));
      const body = req?.body ?? '';
      expect(verifyWebhookSignature(SECRET, header, body, NOW)).toBe(true);
      expect(verifyWebhookSignature(SECRET, header, Buffer.from(body), new Date(NOW.getTime() + 299_000))).toBe(true);
      expect(verifyWebhookSignature('whsec-wrong-secret-0000', header, body, NOW)).toBe(false);
      expect(verifyWebhookSignature(SECRET, header, body.replace('"level":2', '"level":3'), NOW)).toBe(false);
      expect(verifyWebhookSignature(SECRET, header, body, new Date(NOW.getTime() + 301_000))).toBe(false);
      expect(verifyWebhookSignature(SECRET, header, body, new Date(NOW.getTime() - 301_000))).toBe(false);
      expect(verifyWebhookSignature(SECRET, header, body, new Date(NOW.getTime() + 3_000), 2)).toBe(false);
      expect(verifyWebhookSignature(SECRET, header.replace(/t=\d+/, `t=${NOW.getTime() / 1000 + 1}`), body, NOW)).toBe(false);
      expect(verifyWebhookSignature(SECRET, `v1=deadbeef,${header}`, body, NOW)).toBe(true);
      for (const bad of [undefined, '', 'garbage', `t=${NOW.getTime() / 1000}`, 'v1=' + 'a'.repeat(64)])
        expect(verifyWebhookSignature(SECRET, bad, body, NOW)).toBe(false);
    });

    it('refuses a self-signed receiver whose certificate is not configured, without retrying', async () => {
      const e = await thrown(() => channel({ kind: 'webhook', url: `${tls.url}/x`, secret: SECRET }).send(testPage()));
      expect(e).toBeInstanceOf(ChannelError);
      expect(e).toMatchObject({ code: 'tls_failed', retryable: false });
      expect(tls.requests).toHaveLength(0);
    });
  });

  describe('slack', () => {
    it('sends a text fallback and blocks with the summary, severity and both links, escaped', async () => {
      const page = testPage();
      const receipt = await channel({ kind: 'slack', url: `${plain.url}/services/T0/B0/secret` }).send(page);
      expect(receipt.receipt).toBe('HTTP 200: ok');
      const json = (await plain.waitFor(1))[0]?.json as {
        text: string;
        blocks: { type: string; text?: { text: string }; elements?: { url: string; text: { text: string } }[] }[];
      };
      expect(json.text).toBe(
        `[CRITICAL] Disk full on db1 &lt;script&gt;alert(1)&lt;/script&gt; &amp; more (level 2). Acknowledge: ${page.ackUrl}`,
      );
      expect(json.blocks[0]?.text?.text).toBe(
        '*Disk full on db1 &lt;script&gt;alert(1)&lt;/script&gt; &amp; more*\nSeverity: *CRITICAL* · Escalation level 2',
      );
      expect(json.blocks[1]?.elements?.map((e) => [e.text.text, e.url])).toEqual([
        ['Open incident', page.incidentUrl],
        ['Acknowledge', page.ackUrl],
      ]);
    });
  });

  describe('teams', () => {
    it('sends an Adaptive Card 1.4 with the summary, facts and two OpenUrl actions', async () => {
      const page = testPage({ severity: 'minor', summary: 'Backup [late] *again*' });
      await channel({ kind: 'teams', url: `${tls.url}/workflows/abc`, ca: tls.ca }).send(page);
      const json = (await tls.waitFor(1))[0]?.json as {
        type: string;
        attachments: { contentType: string; content: Record<string, unknown> }[];
      };
      expect(json.type).toBe('message');
      expect(json.attachments).toHaveLength(1);
      const card = json.attachments[0];
      expect(card?.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(card?.content).toMatchObject({
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'TextBlock', text: 'MINOR: Backup \\[late\\] \\*again\\*', wrap: true },
          {
            type: 'FactSet',
            facts: [
              { title: 'Severity', value: 'MINOR' },
              { title: 'Escalation level', value: '2' },
              { title: 'Incident', value: 'inc-42' },
            ],
          },
        ],
        actions: [
          { type: 'Action.OpenUrl', title: 'Open incident', url: page.incidentUrl },
          { type: 'Action.OpenUrl', title: 'Acknowledge', url: page.ackUrl },
        ],
      });
    });
  });

  describe('sms', () => {
    const sms = (over: Partial<ChannelConfigInput & { kind: 'sms' }> = {}) =>
      channel({
        kind: 'sms',
        url: `${plain.url}/sms/send`,
        body: { recipients: ['{to}'], message: '{message}', originator: '{from}', type: 'text' },
        from: 'Skjold',
        headers: { Authorization: 'Bearer gateway-key' },
        ...over,
      });

    it('fits one SMS with the whole ack URL, cutting only the summary', async () => {
      const page = testPage({ summary: `Database primary unreachable in DC1 ${'and very long details '.repeat(10)}` });
      await sms().send(page);
      const req = (await plain.waitFor(1))[0];
      expect(req?.headers.authorization).toBe('Bearer gateway-key');
      expect(req?.headers['content-type']).toBe('application/json; charset=utf-8');
      const json = req?.json as { recipients: string[]; message: string; originator: string; type: string };
      expect(json.recipients).toEqual(['+4512345678']);
      expect(json.originator).toBe('Skjold');
      expect(json.type).toBe('text');
      expect(json.message.length).toBeLessThanOrEqual(160);
      expect(json.message).toMatch(/^Skjold CRITICAL L2: Database primary unreachable in DC1 and very long .*\.\.\. Ack: /);
      expect(json.message.endsWith(` Ack: ${page.ackUrl}`)).toBe(true);
    });

    it('sends a short summary whole, form-encoded when configured, and credentials beside the template', async () => {
      const page = testPage({ summary: 'Disk full\non db1', severity: 'major' });
      await sms({ format: 'form', body: { to: '{to}', text: '{message}' }, credentials: { api_key: 'k-123' } }).send(page);
      const req = (await plain.waitFor(1))[0];
      expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(req?.body);
      expect(form.get('to')).toBe('+4512345678');
      expect(form.get('api_key')).toBe('k-123');
      expect(form.get('text')).toBe(`Skjold MAJOR L2: Disk full on db1 Ack: ${page.ackUrl}`);
    });

    it('puts the fields in the query string for GET', async () => {
      await sms({ method: 'GET', body: { to: '{to}', text: '{message}' } }).send(testPage());
      const req = (await plain.waitFor(1))[0];
      expect(req?.method).toBe('GET');
      const query = new URL(req?.url ?? '', plain.url).searchParams;
      expect(query.get('to')).toBe('+4512345678');
      expect(query.get('text')).toMatch(/ Ack: https:\/\/skjold\.example\.dk\/a\/Xk3p9QvT7mZ2$/);
    });

    it('does not expand placeholders found inside the summary', async () => {
      await sms().send(testPage({ summary: 'literal {to} and {from}' }));
      const json = (await plain.waitFor(1))[0]?.json as { message: string };
      expect(json.message).toContain('literal {to} and {from}');
    });

    it('refuses a missing or malformed number without calling the gateway', async () => {
      const missing = await thrown(() => sms().send(testPage({ recipient: { name: 'Bo' } })));
      expect(missing).toMatchObject({ code: 'recipient_missing', retryable: false });
      const bad = await thrown(() => sms().send(testPage({ recipient: { name: 'Bo', phone: '12345678' } })));
      expect(bad).toMatchObject({ code: 'recipient_invalid', retryable: false });
      const long = await thrown(() => sms().send(testPage({ ackUrl: `https://skjold.example.dk/a/${'x'.repeat(160)}` })));
      expect(long).toMatchObject({ code: 'message_too_long', retryable: false });
      expect(plain.requests).toHaveLength(0);
    });
  });

  describe('failures', () => {
    const slack = (timeoutMs?: number) => channel({ kind: 'slack', url: `${plain.url}/services/T0/B0/s3cr3t-path` }, timeoutMs);

    it.each([
      [500, true],
      [503, true],
      [408, true],
      [429, true],
      [400, false],
      [403, false],
      [404, false],
    ])('HTTP %i is a ChannelError, retryable: %s', async (status, retryable) => {
      plain.respondWith(status, 'invalid_payload', 1);
      const e = await thrown(() => slack().send(testPage()));
      expect(e).toBeInstanceOf(ChannelError);
      expect(e).toMatchObject({ code: 'http_status', status, retryable, message: `HTTP ${status}: invalid_payload` });
    });

    it('passes on Retry-After', async () => {
      plain.respondWith(429, '', 1, { 'Retry-After': '30' });
      expect(await thrown(() => slack().send(testPage()))).toMatchObject({ retryable: true, retryAfterSeconds: 30 });
    });

    it('does not follow redirects', async () => {
      plain.respondWith(302, '', 1, { Location: `${plain.url}/elsewhere` });
      expect(await thrown(() => slack().send(testPage()))).toMatchObject({ code: 'http_status', status: 302, retryable: false });
      expect(plain.requests).toHaveLength(1);
    });

    it('gives up on a receiver that never answers within the timeout', async () => {
      plain.hang(1);
      const started = performance.now();
      const e = await thrown(() => slack(300).send(testPage()));
      const ms = performance.now() - started;
      expect(e).toMatchObject({ code: 'timeout', retryable: true, message: 'no answer within 300 ms' });
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(1_000);
    });

    it('reads at most 64 KiB of a 50 MB answer and stops the transfer', async () => {
      plain.huge(1);
      const started = performance.now();
      const { receipt } = await slack().send(testPage());
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(receipt).toMatch(/^HTTP 200: x{200}$/);
      // The server stops writing once the client stops reading: far less than the 50 MB offered.
      await new Promise((r) => setTimeout(r, 100));
      expect(plain.hugeBytesWritten).toBeLessThan(HUGE_BODY_BYTES / 4);
      plain.huge(1);
      const answer = await boundedRequest({ url: `${plain.url}/big`, method: 'GET', headers: {}, timeoutMs: 2_000 });
      expect(answer.status).toBe(200);
      expect(answer.body.length).toBe(MAX_RESPONSE_BYTES);
    });

    it('reports a refused connection as retryable and never shows the URL (it is the secret)', async () => {
      const gone = await startHttpReceiver();
      const url = `${gone.url}/services/T0/B0/s3cr3t-path`;
      await gone.close();
      const e = await thrown(() => channel({ kind: 'slack', url }).send(testPage()));
      expect(e).toMatchObject({ code: 'connection_failed', retryable: true });
      expect((e as Error).message).not.toContain('s3cr3t');
      expect((e as Error).message).toMatch(/ECONNREFUSED/);
    });
  });
});
