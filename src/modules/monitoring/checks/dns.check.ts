import { Resolver } from 'node:dns/promises';
import type { DnsDefinition } from '../api/monitor.schemas.ts';
import { type CheckLimits, type CheckOutcome, errorText, failed, ok } from './check.types.ts';

const norm = (s: string) => s.trim().toLowerCase().replace(/\.$/, '');

/** Answer records as comparable text: addresses and names as-is, MX `prio exchange`, TXT joined, SRV `prio weight port target`. */
function answerTexts(records: unknown[]): string[] {
  return records.map((r) => {
    if (typeof r === 'string') return norm(r);
    if (Array.isArray(r)) return r.join('');
    const o = r as Record<string, unknown>;
    if ('exchange' in o) return `${String(o['priority'])} ${norm(String(o['exchange']))}`;
    if ('target' in o)
      return `${String(o['priority'])} ${String(o['weight'])} ${String(o['port'])} ${norm(String(o['name'] ?? o['target']))}`;
    if ('issue' in o || 'issuewild' in o || 'iodef' in o)
      return Object.entries(o)
        .filter(([k]) => k !== 'critical')
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(' ');
    return JSON.stringify(o);
  });
}

/** Whether an expected value is in the answer (an MX may be given as just the exchange). */
function present(expected: string, answers: string[]): boolean {
  const e = norm(expected);
  return answers.some((a) => a === e || a.endsWith(` ${e}`));
}

/** DNS check: the name resolves (at the chosen resolver) and the answer holds every expected value. */
export async function runDnsCheck(def: DnsDefinition, limits: CheckLimits, timeoutMs: number): Promise<CheckOutcome> {
  // One try, the check's own timeout: the scheduler's deadline stays the only clock.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (def.resolver) resolver.setServers([def.resolver]);
  const onAbort = () => resolver.cancel();
  limits.signal.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  try {
    const records = (await resolver.resolve(def.query, def.recordType)) as unknown[];
    const ms = Math.round(performance.now() - started);
    const answers = answerTexts(records);
    const missing = def.expected.filter((e) => !present(e, answers));
    if (missing.length > 0)
      return failed(`answer ${answers.slice(0, 5).join(', ') || '(empty)'} lacks ${missing.join(', ')}`, ms);
    if (answers.length === 0) return failed('empty answer', ms);
    return ok(ms);
  } catch (e) {
    return failed(limits.signal.aborted ? 'timed out' : errorText(e));
  } finally {
    limits.signal.removeEventListener('abort', onAbort);
  }
}
