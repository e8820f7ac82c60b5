import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect, type TLSSocket } from 'node:tls';

/** Where the CLI finds the server and how it decides to trust its certificate. */
export interface ClientOptions {
  server?: string | undefined;
  /** PEM file of the CA (or the self-signed certificate) to trust. */
  ca?: string | undefined;
  /** SHA-256 fingerprint of the server's certificate to pin (as `skjold start` prints it). */
  fingerprint?: string | undefined;
  /** Data directory whose `tls-cert.pem` is trusted when neither `ca` nor `fingerprint` is given. */
  dataDir?: string | undefined;
}

export const DEFAULT_SERVER = 'https://127.0.0.1:8443';
const TIMEOUT_MS = 60_000;
/** Largest answer read (an export of 10,000 monitors is a few MB). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** One field's problem in an RFC 9457 answer. */
export interface ProblemField {
  path: string;
  message: string;
}

/** A non-2xx answer from the API: the RFC 9457 problem when the server sent one. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: ProblemField[],
  ) {
    super(`${title}: ${detail}`);
    this.name = 'ApiProblem';
  }
}

/** The trust decision, said in words for error messages. */
type Trust =
  | { kind: 'pin'; fingerprint: string; describe: string }
  | { kind: 'ca'; ca: string; describe: string }
  | { kind: 'system'; describe: string };

/** `AB:CD:…` or `abcd…` → upper-case colon-separated, as Node's `fingerprint256`; throws on anything else. */
export function normaliseFingerprint(input: string): string {
  const hex = input
    .trim()
    .replace(/^sha256[:=]/i, '')
    .replace(/:/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new Error('--fingerprint takes a SHA-256 fingerprint: 64 hex digits, colons allowed');
  return hex.match(/../g)!.join(':');
}

function trustOf(o: ClientOptions): Trust {
  if (o.ca && o.fingerprint) throw new Error('give --ca or --fingerprint, not both');
  if (o.fingerprint) {
    const fingerprint = normaliseFingerprint(o.fingerprint);
    return { kind: 'pin', fingerprint, describe: `the pinned fingerprint ${fingerprint}` };
  }
  if (o.ca) {
    const file = resolve(o.ca);
    return { kind: 'ca', ca: readFileSync(file, 'utf8'), describe: `--ca ${file}` };
  }
  const local = resolve(join(o.dataDir ?? process.env['SKJOLD_DATA_DIR'] ?? './data', 'tls-cert.pem'));
  if (existsSync(local)) return { kind: 'ca', ca: readFileSync(local, 'utf8'), describe: `the certificate in ${local}` };
  return { kind: 'system', describe: 'the system’s trusted certificate authorities' };
}

/** The server's base URL; HTTPS only (the token must never cross the network in clear). */
export function serverUrl(input: string | undefined): URL {
  let u: URL;
  try {
    u = new URL(input ?? DEFAULT_SERVER);
  } catch {
    throw new Error(`--server must be a URL such as ${DEFAULT_SERVER} (got "${input}")`);
  }
  if (u.protocol !== 'https:') throw new Error(`--server must be an https:// URL: Skjold speaks HTTPS only (got "${input}")`);
  return u;
}

/** The API token from `SKJOLD_TOKEN` (never a flag: flags show in `ps` and shell history). */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const token = env['SKJOLD_TOKEN']?.trim();
  if (!token)
    throw new Error(
      'set SKJOLD_TOKEN to an API token (create one with `skjold token create`); it is read from the environment only, never from a flag',
    );
  return token;
}

const TLS_HINTS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in an untrusted self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate’s issuer is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate’s issuer is not trusted',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is not for this host name',
};

/**
 * A small HTTPS JSON client for the REST API. Every connection is verified before the request (and its token) is
 * written: against a CA file, the data directory's certificate, the system CAs, or a pinned SHA-256 fingerprint.
 */
export class ApiClient {
  readonly base: URL;
  readonly #trust: Trust;
  readonly #token: string;

  constructor(opts: ClientOptions, token: string) {
    this.base = serverUrl(opts.server);
    this.#trust = trustOf(opts);
    this.#token = token;
  }

  /** The TLS connection, handed to the request only once the server's certificate passed. */
  #connect(done: (err: Error | null, socket?: TLSSocket) => void): void {
    const host = this.base.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.base.port || 443);
    const t = this.#trust;
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      minVersion: 'TLSv1.2',
      // Pinning checks the certificate itself below; the CA modes let OpenSSL verify chain and host name.
      rejectUnauthorized: t.kind !== 'pin',
      ...(t.kind === 'ca' ? { ca: t.ca } : {}),
    });
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      if (err) {
        socket.destroy();
        done(err);
      } else done(null, socket);
    };
    socket.setTimeout(TIMEOUT_MS, () => finish(new Error(`no answer from ${this.base.origin} within ${TIMEOUT_MS / 1000} s`)));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code ? TLS_HINTS[e.code] : undefined;
      if (hint)
        finish(
          new Error(
            `refused the TLS connection to ${this.base.origin}: ${hint} (${e.code}); trusted: ${t.describe}. ` +
              'Pass --ca FILE or --fingerprint SHA256 (the one `skjold start` prints).',
          ),
        );
      else finish(new Error(`cannot reach ${this.base.origin}: ${e.message}`));
    });
    socket.once('secureConnect', () => {
      if (t.kind === 'pin') {
        const got = socket.getPeerCertificate().fingerprint256;
        if (got !== t.fingerprint) {
          finish(
            new Error(
              `refused the TLS connection to ${this.base.origin}: its certificate's SHA-256 fingerprint is ${got || '(none)'}, ` +
                `not the pinned ${t.fingerprint}`,
            ),
          );
          return;
        }
      } else if (!socket.authorized) {
        finish(new Error(`refused the TLS connection to ${this.base.origin}: ${String(socket.authorizationError)}`));
        return;
      }
      socket.setTimeout(0);
      finish(null);
    });
  }

  /** Send one request; resolves with the JSON answer of a 2xx, rejects with ApiProblem otherwise. */
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((done, fail) => {
      const req = request(
        {
          method,
          protocol: 'https:',
          host: this.base.hostname,
          port: this.base.port || 443,
          path: `${this.base.pathname.replace(/\/$/, '')}${path}`,
          // No agent: Node then opens this one connection through createConnection, and writes nothing (no token
          // either) before #connect hands over a verified socket.
          createConnection: (_opts: unknown, cb: (err: Error | null, socket: Duplex) => void) => {
            this.#connect((err, socket) => cb(err, socket as Duplex));
            return undefined;
          },
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: 'application/json',
            'user-agent': 'skjold-cli',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy(new Error(`the answer of ${method} ${path} is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MB`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              fail(new ApiProblem(status, 'not_json', `HTTP ${status}`, `${method} ${path} did not answer with JSON`, []));
              return;
            }
            if (status >= 200 && status < 300) {
              done(json as T);
              return;
            }
            const p = (json ?? {}) as { code?: unknown; title?: unknown; detail?: unknown; errors?: unknown };
            const errors = Array.isArray(p.errors)
              ? (p.errors as { path?: unknown; message?: unknown }[]).map((e) => ({
                  path: typeof e.path === 'string' ? e.path : '',
                  message: typeof e.message === 'string' ? e.message : '',
                }))
              : [];
            fail(
              new ApiProblem(
                status,
                typeof p.code === 'string' ? p.code : `http_${status}`,
                typeof p.title === 'string' ? p.title : `HTTP ${status}`,
                typeof p.detail === 'string' ? p.detail : `${method} ${path} failed`,
                errors,
              ),
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.base.origin} within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', fail);
      req.end(payload);
    });
  }
}
