import type { OperatedBy, SlaState } from './vulns.api.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** What the SLA cell says: nothing, "outside our SLA", or so many hours/days left or since the breach, in a tone. */
export type SlaDueText =
  | { kind: 'outside' }
  | { kind: 'none' }
  | { kind: 'left' | 'breached'; unit: 'h' | 'd'; n: number; tone: 'ok' | 'near' | 'breached' };

/**
 * The SLA deadline as people say it ("3 days left", "breached 2 days ago"): hours under two days, whole days beyond.
 * Customer-managed findings are outside the provider's SLA (P14); settled ones (triaged away, verified resolved) and
 * those without a deadline show nothing. The tone follows the server's state, and a deadline past on this clock is
 * breached whatever the last sweep said.
 */
export function slaDueText(
  dueAt: string | null,
  state: SlaState,
  opts: { operatedBy?: OperatedBy | undefined; settled?: boolean | undefined; now: number },
): SlaDueText {
  if (opts.operatedBy === 'customer') return { kind: 'outside' };
  const due = dueAt ? Date.parse(dueAt) : Number.NaN;
  if (Number.isNaN(due) || state === 'none' || opts.settled) return { kind: 'none' };
  const ms = due - opts.now;
  const abs = Math.abs(ms);
  const unit = abs < 2 * DAY ? 'h' : 'd';
  const n = unit === 'h' ? Math.max(1, Math.floor(abs / HOUR)) : Math.floor(abs / DAY);
  const tone = ms < 0 || state === 'breached' ? 'breached' : state === 'near' ? 'near' : 'ok';
  return { kind: ms < 0 ? 'breached' : 'left', unit, n, tone };
}
