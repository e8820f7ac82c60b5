import net from 'node:net';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import type { TlsDefinition } from '../api/monitor.schemas.ts';
import { type CheckLimits, type CheckOutcome, errorText, expiryProblem, failed, ok } from './check.types.ts';
import { readLine } from './line-reader.ts';

type Starttls = NonNullable<TlsDefinition['starttls']>;

/** The plain-text exchange that asks a mail server to switch to TLS. */
async function upgrade(socket: net.Socket, proto: Starttls): Promise<void> {
  const expectOk = async (what: string, test: (l: string) => boolean, multiline = false) => {
    let line = await readLine(socket);
    // SMTP multi-line replies: "250-…" continue, "250 …" ends.
    while (multiline && /^\d{3}-/.test(line)) line = await readLine(socket);
    if (!test(line)) throw new Error(`${what}: unexpected reply "${line.slice(0, 80)}"`);
  };
  if (proto === 'smtp') {
    await expectOk('greeting', (l) => l.startsWith('220'), true);
    socket.write('EHLO skjold.monitor\r\n');
    await expectOk('EHLO', (l) => l.startsWith('250'), true);
    socket.write('STARTTLS\r\n');
    await expectOk('STARTTLS', (l) => l.startsWith('220'));
  } else if (proto === 'imap') {
    await expectOk('greeting', (l) => l.startsWith('* OK'));
    socket.write('a1 STARTTLS\r\n');
    await expectOk('STARTTLS', (l) => l.startsWith('a1 OK'));
  } else {
    await expectOk('greeting', (l) => l.startsWith('+OK'));
    socket.write('STLS\r\n');
    await expectOk('STLS', (l) => l.startsWith('+OK'));
  }
}

function connectPlain(host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, signal });
    s.once('connect', () => resolve(s));
    s.once('error', (e: Error) => reject(e));
  });
}

function handshake(opts: tls.ConnectionOptions, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // Never reject here on a bad chain: the check reports it (and reads the certificate anyway).
    const s = tls.connect({ ...opts, rejectUnauthorized: false });
    const abort = () => s.destroy(new Error('timed out'));
    signal.addEventListener('abort', abort, { once: true });
    s.once('secureConnect', () => {
      signal.removeEventListener('abort', abort);
      resolve(s);
    });
    s.once('error', (e: Error) => {
      signal.removeEventListener('abort', abort);
      reject(e);
    });
  });
}

/** Problems with a presented certificate against the definition, or null. */
export function certificateProblem(
  s: TLSSocket,
  def: Pick<TlsDefinition, 'checkChain' | 'checkHostname' | 'certExpiryDays'>,
  name: string,
  now: Date,
): string | null {
  const cert: PeerCertificate = s.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return 'no certificate presented';
  if (def.checkHostname) {
    const err = tls.checkServerIdentity(name, cert);
    if (err) return `certificate does not match ${name}: ${err.message}`;
  }
  if (def.checkChain && !s.authorized) return `certificate chain not trusted: ${String(s.authorizationError)}`;
  return expiryProblem(cert.valid_to, def.certExpiryDays, now);
}

/** TLS check on any host:port, optionally after SMTP/IMAP/POP3 STARTTLS: chain, host name, expiry. */
export async function runTlsCheck(def: TlsDefinition, limits: CheckLimits): Promise<CheckOutcome> {
  const started = performance.now();
  const name = def.servername ?? def.host;
  let s: TLSSocket | undefined;
  let plain: net.Socket | undefined;
  try {
    const servername = net.isIP(name) ? undefined : name;
    if (def.starttls) {
      plain = await connectPlain(def.host, def.port, limits.signal);
      await upgrade(plain, def.starttls);
      s = await handshake({ socket: plain, ...(servername ? { servername } : {}) }, limits.signal);
    } else {
      s = await handshake({ host: def.host, port: def.port, ...(servername ? { servername } : {}) }, limits.signal);
    }
    const ms = Math.round(performance.now() - started);
    const problem = certificateProblem(s, def, name, limits.now());
    return problem ? failed(problem, ms) : ok(ms);
  } catch (e) {
    return failed(limits.signal.aborted ? 'timed out' : errorText(e));
  } finally {
    s?.destroy();
    plain?.destroy();
  }
}
