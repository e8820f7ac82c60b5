import type { MonitorDefinition } from '../api/monitor.schemas.ts';
import { runBannerCheck } from './banner.check.ts';
import { type CheckOutcome, errorText, failed } from './check.types.ts';
import { runDnsCheck } from './dns.check.ts';
import { runHttpCheck } from './http.check.ts';
import { runTcpCheck } from './tcp.check.ts';
import { runTlsCheck } from './tls.check.ts';

export interface RunCheckDeps {
  maxBodyBytes: number;
  now: () => Date;
  /** Heartbeat monitors: when the last ping arrived (null: never). */
  lastHeartbeat(monitorId: string): Promise<Date | null>;
}

/**
 * Run one check under a hard deadline (the definition's timeout): an AbortSignal destroys every socket the check
 * holds, and a timer settles the check even if a runner ignored the signal. Never throws.
 */
export async function runCheck(monitorId: string, def: MonitorDefinition, deps: RunCheckDeps): Promise<CheckOutcome> {
  const timeoutMs = def.timeoutSeconds * 1000;
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve(failed(`timed out after ${def.timeoutSeconds} s`));
    }, timeoutMs);
  });
  const limits = { signal: ac.signal, maxBodyBytes: deps.maxBodyBytes, now: deps.now };
  const work = (async (): Promise<CheckOutcome> => {
    switch (def.type) {
      case 'http':
        return runHttpCheck(def, limits);
      case 'tcp':
        return runTcpCheck(def, limits);
      case 'dns':
        return runDnsCheck(def, limits, timeoutMs);
      case 'tls':
        return runTlsCheck(def, limits);
      case 'smtp':
      case 'imap':
      case 'pop3':
        return runBannerCheck(def, limits);
      case 'heartbeat': {
        const last = await deps.lastHeartbeat(monitorId);
        const silentMs = deps.now().getTime() - (last?.getTime() ?? 0);
        const limit = (def.intervalSeconds + def.graceSeconds) * 1000;
        if (!last) return failed('no heartbeat received yet');
        return silentMs <= limit
          ? { ok: true, responseMs: null, error: null }
          : failed(`no heartbeat for ${Math.round(silentMs / 1000)} s (limit ${limit / 1000} s)`);
      }
    }
  })().catch((e: unknown) => failed(errorText(e)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}
