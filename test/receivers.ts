import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { loadTls } from '../src/core/http/tls.ts';

/**
 * Real receivers on 127.0.0.1 for paging tests and benchmarks: an SMTP server and an HTTP(S) server that record what
 * arrives and answer as a test tells them to (reject, hold, hang, flood). Nothing is mocked.
 */

let tlsMaterial: Promise<{ cert: string; key: string }> | undefined;

/** A self-signed certificate for 127.0.0.1/::1/localhost, made once per process by the same code the server uses. */
export function receiverTls(): Promise<{ cert: string; key: string }> {
  tlsMaterial ??= (async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skjold-receiver-tls-'));
    try {
      const { cert, key } = await loadTls({ dataDir, certFile: '', keyFile: '' });
      return { cert, key };
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  })();
  return tlsMaterial;
}

/** Resolves when `done()` holds, polling every 10 ms; rejects after `timeoutMs` naming what it waited for. */
async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  messageId: string | undefined;
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  headers: ParsedMail['headers'];
  raw: string;
  /** When the message's data was complete (ms since the epoch). */
  receivedAt: number;
}

export interface SmtpReceiverOptions {
  /** Require this login (PLAIN/LOGIN). Without it, AUTH is not offered and mail is accepted from anyone. */
  auth?: { user: string; password: string };
  /** 'starttls': offer STARTTLS on a plain port; 'implicit': TLS from the first byte. Default: no TLS at all. */
  tls?: 'starttls' | 'implicit';
}

export interface SmtpReceiver {
  host: '127.0.0.1';
  port: number;
  /** PEM of the certificate presented when `tls` is set: trust it as the channel's `ca`. */
  ca: string | undefined;
  /** Messages acknowledged with 250, in order. */
  messages: ReceivedMail[];
  /** Messages whose DATA was read while held and whose connection closed before release (never acknowledged). */
  dropped: ReceivedMail[];
  /** Number of messages read but not yet acknowledged (see hold). */
  readonly heldCount: number;
  /** Answer the next DATA with this SMTP error code (e.g. 451 or 550). Calls queue up. */
  rejectNext(code: number, message?: string): void;
  /** Keep reading messages but delay each final DATA acknowledgement until release(). */
  hold(): void;
  /** Acknowledge every held message whose client is still connected; stop holding. */
  release(): void;
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Resolves when n messages are read and held (a sender is waiting for the 250). */
  waitForHeld(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real smtp-server on 127.0.0.1 and a random port. */
export async function startSmtpReceiver(opts: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const dropped: ReceivedMail[] = [];
  const rejections: { code: number; message: string }[] = [];
  const held: { sessionId: string; mail: ReceivedMail; ack: () => void }[] = [];
  const closedSessions = new Set<string>();
  let holding = false;
  const material = opts.tls ? await receiverTls() : undefined;
  const disabled = [...(opts.tls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])];

  const options: SMTPServerOptions = {
    secure: opts.tls === 'implicit',
    ...(material ? { key: material.key, cert: material.cert } : {}),
    disabledCommands: disabled,
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    size: 10 * 1024 * 1024,
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.password)
        callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const receivedAt = Date.now();
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const mail: ReceivedMail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              messageId: parsed.messageId,
              subject: parsed.subject,
              text: parsed.text,
              html: parsed.html === false ? undefined : parsed.html,
              headers: parsed.headers,
              raw,
              receivedAt,
            };
            const rejection = rejections.shift();
            if (rejection) {
              callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
              return;
            }
            const ack = () => {
              messages.push(mail);
              callback(null, 'Queued');
            };
            if (holding) held.push({ sessionId: session.id, mail, ack });
            else ack();
          },
          (e: unknown) => callback(Object.assign(new Error(`unparseable message: ${String(e)}`), { responseCode: 554 })),
        );
      });
    },
    onClose(session) {
      closedSessions.add(session.id);
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    ca: material?.cert,
    messages,
    dropped,
    get heldCount() {
      return held.length;
    },
    rejectNext(code, message = code >= 500 ? 'Rejected for test' : 'Try again later') {
      rejections.push({ code, message });
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const h of held.splice(0)) {
        if (closedSessions.has(h.sessionId)) dropped.push(h.mail);
        else h.ack();
      }
    },
    async waitFor(n, timeoutMs = 5_000) {
      await waitUntil(() => messages.length >= n, timeoutMs, `${n} SMTP message(s), have ${messages.length}`);
      return messages;
    },
    waitForHeld(n, timeoutMs = 5_000) {
      return waitUntil(() => held.length >= n, timeoutMs, `${n} held SMTP message(s)`);
    },
    close() {
      holding = false;
      for (const h of held.splice(0)) dropped.push(h.mail);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body as received (first MiB). */
  body: string;
  /** The body parsed as JSON, undefined when it is not JSON. */
  json: unknown;
  /** When the whole request was read (ms since the epoch). */
  receivedAt: number;
}

type Behaviour =
  { kind: 'respond'; status: number; body: string; headers: Record<string, string> } | { kind: 'hang' } | { kind: 'huge' };

export interface HttpReceiver {
  /** Base URL, e.g. `https://127.0.0.1:41234`; append any path. */
  url: string;
  port: number;
  /** PEM of the self-signed certificate when started with `tls: true`: trust it as the channel's `ca`. */
  ca: string | undefined;
  requests: ReceivedRequest[];
  /** Bytes of huge answers the client actually took (backpressure stops the server writing when it stops reading). */
  readonly hugeBytesWritten: number;
  /** Answer `status` with `body`: the next `times` requests, or every request from now on when `times` is omitted. */
  respondWith(status: number, body?: string, times?: number, headers?: Record<string, string>): void;
  /** Never answer (the next `times` requests, or all). */
  hang(times?: number): void;
  /** Answer 200 with a 50 MB body (the next `times` requests, or all). */
  huge(times?: number): void;
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export const HUGE_BODY_BYTES = 50 * 1024 * 1024;
const MAX_RECORDED_BODY = 1024 * 1024;

/** A real node:http (or node:https with a self-signed certificate) server on 127.0.0.1 and a random port. */
export async function startHttpReceiver(opts: { tls?: boolean } = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: { behaviour: Behaviour; left: number }[] = [];
  let fallback: Behaviour = { kind: 'respond', status: 200, body: 'ok', headers: {} };
  let hugeBytesWritten = 0;
  const sockets = new Set<Socket>();

  const next = (): Behaviour => {
    const head = queue[0];
    if (!head) return fallback;
    if (--head.left <= 0) queue.shift();
    return head.behaviour;
  };
  const plan = (behaviour: Behaviour, times: number | undefined) => {
    if (times === undefined) fallback = behaviour;
    else if (times > 0) queue.push({ behaviour, left: times });
  };

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size < MAX_RECORDED_BODY) chunks.push(c);
      size += c.length;
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json, receivedAt: Date.now() });
      const b = next();
      if (b.kind === 'hang') return;
      if (b.kind === 'respond') {
        res.writeHead(b.status, { 'content-type': 'text/plain; charset=utf-8', ...b.headers });
        res.end(b.body);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(HUGE_BODY_BYTES) });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < HUGE_BODY_BYTES && !res.destroyed) {
          sent += chunk.length;
          hugeBytesWritten += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
  };

  const material = opts.tls ? await receiverTls() : undefined;
  const server = material ? https.createServer({ cert: material.cert, key: material.key }, handler) : http.createServer(handler);
  server.on(material ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${material ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    ca: material?.cert,
    requests,
    get hugeBytesWritten() {
      return hugeBytesWritten;
    },
    respondWith(status, body = '', times, headers = {}) {
      plan({ kind: 'respond', status, body, headers }, times);
    },
    hang(times) {
      plan({ kind: 'hang' }, times);
    },
    huge(times) {
      plan({ kind: 'huge' }, times);
    },
    async waitFor(n, timeoutMs = 5_000) {
      await waitUntil(() => requests.length >= n, timeoutMs, `${n} HTTP request(s), have ${requests.length}`);
      return requests;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
    },
  };
}
