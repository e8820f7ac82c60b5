import net from 'node:net';
import tls from 'node:tls';
import type { BannerDefinition } from '../api/monitor.schemas.ts';
import { type CheckLimits, type CheckOutcome, errorText, failed, ok } from './check.types.ts';
import { readLine } from './line-reader.ts';

const DEFAULTS = {
  smtp: { plain: 25, tls: 465, okPrefix: '220' },
  imap: { plain: 143, tls: 993, okPrefix: '* OK' },
  pop3: { plain: 110, tls: 995, okPrefix: '+OK' },
} as const;

/** SMTP/IMAP/POP3 banner check: connect (plain or implicit TLS), read the greeting line, expect the protocol's OK. */
export async function runBannerCheck(def: BannerDefinition, limits: CheckLimits): Promise<CheckOutcome> {
  const d = DEFAULTS[def.type];
  const port = def.port ?? (def.tls ? d.tls : d.plain);
  const started = performance.now();
  let s: net.Socket | undefined;
  try {
    s = await new Promise<net.Socket>((resolve, reject) => {
      const sock = def.tls
        ? tls.connect({
            host: def.host,
            port,
            rejectUnauthorized: false,
            ...(net.isIP(def.host) ? {} : { servername: def.host }),
          })
        : net.connect({ host: def.host, port });
      const abort = () => sock.destroy(new Error('timed out'));
      limits.signal.addEventListener('abort', abort, { once: true });
      sock.once(def.tls ? 'secureConnect' : 'connect', () => resolve(sock));
      sock.once('error', (e: Error) => reject(e));
      sock.once('close', () => limits.signal.removeEventListener('abort', abort));
    });
    const line = await readLine(s);
    const ms = Math.round(performance.now() - started);
    if (!line.startsWith(d.okPrefix)) return failed(`greeting "${line.slice(0, 120)}" does not start with ${d.okPrefix}`, ms);
    if (def.expect && !line.includes(def.expect)) return failed(`greeting "${line.slice(0, 120)}" lacks "${def.expect}"`, ms);
    return ok(ms);
  } catch (e) {
    return failed(limits.signal.aborted ? 'timed out' : errorText(e));
  } finally {
    s?.destroy();
  }
}
