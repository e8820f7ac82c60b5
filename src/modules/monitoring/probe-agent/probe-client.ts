import type { ClientRequestArgs, IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions } from 'node:tls';
import { PROBE_TOKEN_HEADER } from '../probes/probe-token.ts';

export interface ProbeClientOptions {
  /** https://host:port of the Skjold API. */
  server: string;
  token: string;
  /** PEM of the CA (or the self-signed certificate) the server's certificate must chain to; empty: system roots. */
  ca?: string | undefined;
  /** SHA-256 fingerprint (colon-separated hex) the server's certificate must have; replaces chain checks. */
  fingerprint?: string | undefined;
  userAgent: string;
  timeoutMs?: number;
}

export interface ProbeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Largest answer read (the assignments of 10,000 monitors are a few MiB). */
const MAX_RESPONSE = 32 * 1024 * 1024;

/**
 * An agent that checks the server's certificate against a pinned fingerprint before the connection is handed to
 * HTTP: nothing (not even the token) is written to a server that does not present exactly that certificate.
 */
class PinnedAgent extends Agent {
  constructor(private readonly pinned: string) {
    super({ keepAlive: true, maxSockets: 4 });
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null {
    const socket = connect({ ...(options as ConnectionOptions), rejectUnauthorized: false });
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (err) socket.destroy();
      callback?.(err, socket);
    };
    socket.once('secureConnect', () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      if (fp?.toUpperCase() === this.pinned) finish(null);
      else finish(new Error(`the server's certificate fingerprint ${fp ?? 'none'} is not the pinned ${this.pinned}`));
    });
    socket.once('error', (e: Error) => finish(e));
    return null;
  }
}

/** A small JSON client for the probe API over HTTPS (keep-alive, bounded answers, a hard timeout per request). */
export class ProbeClient {
  readonly #o: ProbeClientOptions;
  readonly #agent: Agent;
  readonly #base: URL;

  constructor(o: ProbeClientOptions) {
    this.#o = o;
    this.#base = new URL(o.server);
    this.#agent = o.fingerprint
      ? new PinnedAgent(o.fingerprint.toUpperCase())
      : new Agent({ keepAlive: true, maxSockets: 4, ...(o.ca ? { ca: o.ca } : {}) });
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ProbeResponse> {
    const url = new URL(path, this.#base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.#agent,
          headers: {
            [PROBE_TOKEN_HEADER]: this.#o.token,
            'user-agent': this.#o.userAgent,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE) req.destroy(new Error('answer too large'));
            else chunks.push(c);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text.slice(0, 500);
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(this.#o.timeoutMs ?? 15_000, () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
