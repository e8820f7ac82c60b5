import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { HttpDefinition } from '../api/monitor.schemas.ts';
import { type CheckLimits, type CheckOutcome, errorText, expiryProblem, failed, ok } from './check.types.ts';

interface Answer {
  status: number;
  location: string | undefined;
  body: string | undefined;
  certValidTo: string | undefined;
  ms: number;
}

/** Whether a status matches one of the expected codes or "low-high" ranges. */
export function statusMatches(status: number, expected: readonly (number | string)[]): boolean {
  return expected.some((e) =>
    typeof e === 'number' ? e === status : status >= Number(e.slice(0, 3)) && status <= Number(e.slice(4)),
  );
}

/**
 * One request, read within bounds: headers, then (only for keyword checks) at most `maxBodyBytes` of the body, after
 * which the socket is destroyed. A fresh connection per check (no agent): a monitor measures the whole path.
 */
function request(def: HttpDefinition, url: URL, limits: CheckLimits, wantBody: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, {
      method: def.method,
      headers: { 'user-agent': 'Skjold-Monitor/1', ...def.headers },
      agent: false,
      signal: limits.signal,
      rejectUnauthorized: def.tlsVerify,
      // Node bounds header size (16 KiB) itself; a header flood is an error, not a stall.
      maxHeaderSize: 16_384,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const ms = Math.round(performance.now() - started);
      const socket = res.socket as TLSSocket;
      const certValidTo = url.protocol === 'https:' ? socket.getPeerCertificate?.()?.valid_to : undefined;
      const base = { status: res.statusCode ?? 0, location: res.headers.location, certValidTo, ms };
      if (!wantBody) {
        res.destroy();
        resolve({ ...base, body: undefined });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => resolve({ ...base, body: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (c: Buffer) => {
        const room = limits.maxBodyBytes - size;
        chunks.push(room >= c.length ? c : c.subarray(0, room));
        size += Math.min(room, c.length);
        // Enough read: stop the transfer (a 50 MB body costs 1 MiB at most).
        if (size >= limits.maxBodyBytes) {
          res.destroy();
          finish();
        }
      });
      res.on('end', finish);
      res.on('error', reject);
      res.on('close', finish);
    });
    if (def.body !== undefined && !['GET', 'HEAD'].includes(def.method)) req.end(def.body);
    else req.end();
  });
}

/** HTTP(S) check: status, redirects, keyword present/absent in the first MiB, response time, certificate expiry. */
export async function runHttpCheck(def: HttpDefinition, limits: CheckLimits): Promise<CheckOutcome> {
  let url = new URL(def.url);
  let total = 0;
  for (let hop = 0; ; hop++) {
    let a: Answer;
    try {
      a = await request(def, url, limits, def.keyword !== undefined);
    } catch (e) {
      return failed(limits.signal.aborted ? 'timed out' : errorText(e), null);
    }
    total += a.ms;
    if (a.certValidTo !== undefined || url.protocol === 'https:') {
      const problem = expiryProblem(a.certValidTo, def.certExpiryDays, limits.now());
      if (problem) return failed(problem, total);
    }
    if (a.status >= 300 && a.status < 400 && a.location && def.followRedirects) {
      if (hop >= def.maxRedirects) return failed(`more than ${def.maxRedirects} redirects`, total);
      try {
        url = new URL(a.location, url);
      } catch {
        return failed('redirect to an invalid URL', total);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return failed(`redirect to ${url.protocol} refused`, total);
      continue;
    }
    if (!statusMatches(a.status, def.expectedStatus))
      return failed(`status ${a.status}, expected ${def.expectedStatus.join(', ')}`, total);
    if (def.keyword) {
      const found = (a.body ?? '').includes(def.keyword.text);
      if (def.keyword.absent && found) return failed(`keyword "${def.keyword.text}" is present`, total);
      if (!def.keyword.absent && !found) return failed(`keyword "${def.keyword.text}" not found`, total);
    }
    if (def.maxResponseMs !== undefined && total > def.maxResponseMs)
      return failed(`answered in ${total} ms, limit ${def.maxResponseMs} ms`, total);
    return ok(total);
  }
}
