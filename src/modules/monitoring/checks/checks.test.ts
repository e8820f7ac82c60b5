import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDefinition } from '../monitoring.service.ts';
import { runCheck, type RunCheckDeps } from './run-check.ts';
import {
  type Closable,
  type TestCert,
  closedPort,
  dnsServer,
  httpServer,
  httpsServer,
  mailStarttlsServer,
  makeCert,
  smtpStarttlsServer,
  tcpServer,
  tlsServer,
} from './check.test-servers.ts';

// vitest's asymmetric matchers are typed `any`; these keep the lint rule against unsafe `any` meaningful.
const matching = (re: RegExp) => expect.stringMatching(re) as unknown;
const containing = (s: string) => expect.stringContaining(s) as unknown;

const deps: RunCheckDeps = { maxBodyBytes: 1024 * 1024, now: () => new Date(), lastHeartbeat: () => Promise.resolve(null) };
const check = (def: Record<string, unknown>, d: RunCheckDeps = deps) =>
  runCheck('m1', parseDefinition({ name: 'x', timeoutSeconds: 2, ...def }), d);

describe('check runners against real loopback servers', () => {
  const servers: Closable[] = [];
  let web: Closable;
  let cert: TestCert;
  let soonCert: TestCert;
  const url = (path: string) => `http://127.0.0.1:${web.port}${path}`;
  const BIG = Buffer.alloc(1024 * 1024, 'a');

  beforeAll(async () => {
    web = await httpServer((req, res) => {
      const reply = (status: number, body = '', location?: string) => {
        res.statusCode = status;
        if (location) res.setHeader('location', location);
        res.end(body);
      };
      if (req.url === '/ok') reply(200, 'hello skjold');
      else if (req.url === '/500') reply(500, 'boom');
      else if (req.url === '/redirect') reply(302, '', '/ok');
      else if (req.url === '/loop') reply(302, '', '/loop');
      else if (req.url === '/hang')
        res.flushHeaders(); // headers, then nothing, ever
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 300);
      else if (req.url === '/huge') {
        // 50 MB, streamed as fast as the client takes it; the needle is at the very end.
        let sent = 0;
        const pump = () => {
          while (sent < 50 * 1024 * 1024) {
            sent += BIG.length;
            if (!res.write(BIG)) return void res.once('drain', pump);
          }
          res.end('NEEDLE');
        };
        res.on('error', () => undefined);
        pump();
      } else reply(404);
    });
    cert = await makeCert(90);
    soonCert = await makeCert(3);
    servers.push(web);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('http: status, expected ranges and keyword present/absent', async () => {
    expect(await check({ type: 'http', url: url('/ok') })).toMatchObject({ ok: true, error: null });
    expect(await check({ type: 'http', url: url('/500') })).toMatchObject({ ok: false, error: 'status 500, expected 200-399' });
    expect(await check({ type: 'http', url: url('/500'), expectedStatus: [500, '200-204'] })).toMatchObject({ ok: true });
    expect(await check({ type: 'http', url: url('/ok'), keyword: { text: 'skjold' } })).toMatchObject({ ok: true });
    expect(await check({ type: 'http', url: url('/ok'), keyword: { text: 'nope' } })).toMatchObject({
      ok: false,
      error: 'keyword "nope" not found',
    });
    expect(await check({ type: 'http', url: url('/ok'), keyword: { text: 'hello', absent: true } })).toMatchObject({
      ok: false,
      error: 'keyword "hello" is present',
    });
    expect(await check({ type: 'http', url: url('/slow'), maxResponseMs: 100 })).toMatchObject({
      ok: false,
      error: matching(/^answered in \d+ ms, limit 100 ms$/),
    });
  });

  it('http: follows redirects up to the limit, or not at all', async () => {
    expect(await check({ type: 'http', url: url('/redirect'), keyword: { text: 'hello' } })).toMatchObject({ ok: true });
    expect(await check({ type: 'http', url: url('/redirect'), followRedirects: false, expectedStatus: [200] })).toMatchObject({
      ok: false,
      error: 'status 302, expected 200',
    });
    expect(await check({ type: 'http', url: url('/loop'), maxRedirects: 3 })).toMatchObject({
      ok: false,
      error: 'more than 3 redirects',
    });
  });

  it('http: a hanging target fails at the timeout; a refused port fails at once', async () => {
    const t0 = Date.now();
    expect(await check({ type: 'http', url: url('/hang'), keyword: { text: 'x' }, timeoutSeconds: 1 })).toMatchObject({
      ok: false,
      error: 'timed out after 1 s',
    });
    expect(Date.now() - t0).toBeLessThan(1500);
    const port = await closedPort();
    expect(await check({ type: 'http', url: `http://127.0.0.1:${port}/` })).toMatchObject({
      ok: false,
      error: containing('ECONNREFUSED'),
    });
  });

  it('http: a 50 MB body is read only to the 1 MiB cap, quickly, and a needle beyond it is not found', async () => {
    const before = process.memoryUsage().rss;
    const t0 = Date.now();
    const r = await check({ type: 'http', url: url('/huge'), keyword: { text: 'NEEDLE' } });
    expect(r).toMatchObject({ ok: false, error: 'keyword "NEEDLE" not found' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
    // Without a keyword the body is not read at all.
    expect(await check({ type: 'http', url: url('/huge') })).toMatchObject({ ok: true });
  });

  it('https: certificate expiry threshold, trust and a short-lived certificate', async () => {
    const good = await httpsServer(cert, (_q, s) => s.end('ok'));
    const soon = await httpsServer(soonCert, (_q, s) => s.end('ok'));
    servers.push(good, soon);
    expect(await check({ type: 'http', url: `https://localhost:${good.port}/` })).toMatchObject({
      ok: false,
      error: matching(/self-signed|DEPTH_ZERO|SELF_SIGNED/i),
    });
    expect(await check({ type: 'http', url: `https://localhost:${good.port}/`, tlsVerify: false })).toMatchObject({ ok: true });
    expect(
      await check({ type: 'http', url: `https://localhost:${soon.port}/`, tlsVerify: false, certExpiryDays: 14 }),
    ).toMatchObject({
      ok: false,
      error: matching(/^certificate expires in [23] days \(threshold 14\)$/),
    });
    expect(
      await check({ type: 'http', url: `https://localhost:${soon.port}/`, tlsVerify: false, certExpiryDays: 1 }),
    ).toMatchObject({ ok: true });
    // Time moves: the same certificate seen 4 days later has expired.
    const later = { ...deps, now: () => new Date(Date.now() + 4 * 86_400_000) };
    expect(
      await check({ type: 'http', url: `https://localhost:${soon.port}/`, tlsVerify: false, certExpiryDays: 1 }, later),
    ).toMatchObject({
      ok: false,
      error: matching(/^certificate expired on /),
    });
  });

  it('tcp: open and closed ports', async () => {
    const open = await tcpServer((s) => s.end());
    servers.push(open);
    expect(await check({ type: 'tcp', host: '127.0.0.1', port: open.port })).toMatchObject({ ok: true });
    expect(await check({ type: 'tcp', host: '127.0.0.1', port: await closedPort() })).toMatchObject({
      ok: false,
      error: containing('ECONNREFUSED'),
    });
  });

  it('dns: answer, mismatch and unknown name at a chosen resolver', async () => {
    const dns = await dnsServer({ 'www.example.test': '192.0.2.10' });
    servers.push(dns);
    const resolver = `127.0.0.1:${dns.port}`;
    expect(await check({ type: 'dns', query: 'www.example.test', resolver, expected: ['192.0.2.10'] })).toMatchObject({
      ok: true,
    });
    expect(await check({ type: 'dns', query: 'www.example.test', resolver, expected: ['192.0.2.99'] })).toMatchObject({
      ok: false,
      error: 'answer 192.0.2.10 lacks 192.0.2.99',
    });
    expect(await check({ type: 'dns', query: 'nx.example.test', resolver })).toMatchObject({
      ok: false,
      error: containing('ENOTFOUND'),
    });
  });

  it('tls: expiry, chain and host name on a plain TLS port, and after SMTP STARTTLS', async () => {
    const t = await tlsServer(soonCert);
    const smtp = await smtpStarttlsServer(cert);
    servers.push(t, smtp);
    const base = { type: 'tls', host: '127.0.0.1', servername: 'localhost', checkChain: false };
    expect(await check({ ...base, port: t.port, certExpiryDays: 1 })).toMatchObject({ ok: true });
    expect(await check({ ...base, port: t.port, certExpiryDays: 30 })).toMatchObject({
      ok: false,
      error: matching(/^certificate expires in/),
    });
    expect(await check({ ...base, port: t.port, certExpiryDays: 1, checkChain: true })).toMatchObject({
      ok: false,
      error: matching(/^certificate chain not trusted/),
    });
    expect(await check({ ...base, port: t.port, certExpiryDays: 1, servername: 'other.test' })).toMatchObject({
      ok: false,
      error: matching(/^certificate does not match other.test/),
    });
    expect(await check({ ...base, port: smtp.port, starttls: 'smtp' })).toMatchObject({ ok: true });
    const imap = await mailStarttlsServer(cert, 'imap');
    const pop3 = await mailStarttlsServer(soonCert, 'pop3');
    servers.push(imap, pop3);
    expect(await check({ ...base, port: imap.port, starttls: 'imap' })).toMatchObject({ ok: true });
    expect(await check({ ...base, port: pop3.port, starttls: 'pop3', certExpiryDays: 30 })).toMatchObject({
      ok: false,
      error: matching(/^certificate expires in/),
    });
    // Asking an IMAP server for POP3's STLS fails on the greeting, not on a timeout.
    expect(await check({ ...base, port: imap.port, starttls: 'pop3' })).toMatchObject({
      ok: false,
      error: matching(/^greeting: unexpected reply/),
    });
    // A plain SMTP port without STARTTLS support in the TLS check is a failure, not a hang.
    const plain = await tcpServer((s) => s.write('220 hi\r\n'));
    servers.push(plain);
    expect(await check({ ...base, port: plain.port, timeoutSeconds: 1 })).toMatchObject({ ok: false });
  });

  it('smtp/imap/pop3 banners; garbage and silence fail within bounds', async () => {
    const smtp = await tcpServer((s) => s.write('220 mx.test ESMTP Postfix\r\n'));
    const imap = await tcpServer((s) => s.write('* OK IMAP4rev1 ready\r\n'));
    const bad = await tcpServer((s) => s.write('554 go away\r\n'));
    const garbage = await tcpServer((s) => s.write(Buffer.alloc(64 * 1024, 0x41)));
    const silent = await tcpServer(() => undefined);
    servers.push(smtp, imap, bad, garbage, silent);
    expect(await check({ type: 'smtp', host: '127.0.0.1', port: smtp.port, expect: 'Postfix' })).toMatchObject({ ok: true });
    expect(await check({ type: 'imap', host: '127.0.0.1', port: imap.port })).toMatchObject({ ok: true });
    expect(await check({ type: 'pop3', host: '127.0.0.1', port: imap.port })).toMatchObject({
      ok: false,
      error: 'greeting "* OK IMAP4rev1 ready" does not start with +OK',
    });
    expect(await check({ type: 'smtp', host: '127.0.0.1', port: bad.port })).toMatchObject({ ok: false });
    expect(await check({ type: 'smtp', host: '127.0.0.1', port: garbage.port })).toMatchObject({
      ok: false,
      error: 'no line break within 4096 bytes',
    });
    expect(await check({ type: 'smtp', host: '127.0.0.1', port: silent.port, timeoutSeconds: 1 })).toMatchObject({
      ok: false,
      error: 'timed out after 1 s',
    });
  });

  it('heartbeat: silence past interval + grace fails', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const d = (last: number | null): RunCheckDeps => ({
      ...deps,
      now: () => new Date(now),
      lastHeartbeat: () => Promise.resolve(last === null ? null : new Date(last)),
    });
    const def = { type: 'heartbeat', intervalSeconds: 60, graceSeconds: 30 };
    expect(await check(def, d(now - 89_000))).toMatchObject({ ok: true });
    expect(await check(def, d(now - 91_000))).toMatchObject({ ok: false, error: 'no heartbeat for 91 s (limit 90 s)' });
  });
});
