import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { notFound } from '../../core/errors.ts';
import { net24, ipv6Prefix64 } from './intel/ip-address.ts';
import type { ThreatsAlertsTable } from './threats.tables.ts';

/** An alert as the API shows it. */
export interface AlertView {
  id: string;
  scenario: string;
  key: string;
  ip: string | null;
  scopeValue: string | null;
  severity: string;
  tier: string;
  labels: Record<string, string>;
  ips: string[];
  listedBy: string[];
  events: number;
  overflows: number;
  firstAt: string;
  lastAt: string;
  samples: string[];
  decisionId: string | null;
  simulated: boolean;
  createdAt: string;
}

export interface AlertsQuery {
  scenario?: string | undefined;
  ip?: string | undefined;
  tier?: 'enrich' | 'decision' | 'page' | undefined;
  limit: number;
  before?: string | undefined;
}

export interface Overview {
  from: string;
  to: string;
  /** Alerts per hour and scenario (hour = ISO hour start, UTC). */
  timeline: { hour: string; scenario: string; alerts: number; events: number }[];
  byScenario: { scenario: string; alerts: number; events: number }[];
  topIps: { ip: string; alerts: number; events: number; scenarios: string[]; listedBy: string[] }[];
  /** Attacking networks (/24 for IPv4, /64 for IPv6) by alerts. */
  topNetworks: { network: string; alerts: number; ips: number }[];
  totals: { alerts: number; paged: number; activeDecisions: number; simulatedDecisions: number };
  /** The digest of the period: bans made, by scenario (automatic and manual). */
  decisionsByScenario: { scenario: string; decisions: number }[];
}

const parse = <T>(s: string, fallback: T): T => {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};

export function toAlertView(r: ThreatsAlertsTable): AlertView {
  return {
    id: r.id,
    scenario: r.scenario,
    key: r.key,
    ip: r.ip,
    scopeValue: r.scope_value,
    severity: r.severity,
    tier: r.tier,
    labels: parse(r.labels, {}),
    ips: parse(r.ips, []),
    listedBy: parse(r.listed_by, []),
    events: Number(r.events),
    overflows: Number(r.overflows),
    firstAt: r.first_at,
    lastAt: r.last_at,
    samples: parse(r.samples, []),
    decisionId: r.decision_id,
    simulated: Number(r.simulated) === 1,
    createdAt: r.created_at,
  };
}

/** Reading alerts: lists for the console and API, one alert with its evidence, and the live overview's figures. */
export class AlertsService {
  constructor(private readonly deps: { clock: Clock }) {}

  async list(db: Db, q: AlertsQuery): Promise<{ items: AlertView[]; nextBefore: string | null }> {
    let s = db.selectFrom('threats_alerts').selectAll();
    if (q.scenario) s = s.where('scenario', '=', q.scenario);
    if (q.ip) s = s.where('ip', '=', q.ip);
    if (q.tier) s = s.where('tier', '=', q.tier);
    if (q.before) s = s.where('created_at', '<', q.before);
    const rows = await s
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const items = rows.slice(0, q.limit).map(toAlertView);
    return { items, nextBefore: rows.length > q.limit ? (items.at(-1)?.createdAt ?? null) : null };
  }

  async get(db: Db, id: string): Promise<AlertView> {
    const r = await db.selectFrom('threats_alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('alert_not_found', `no alert ${id}`);
    return toAlertView(r);
  }

  /** Figures for the live view over the last `hours` (bounded: at most 20,000 alerts are read). */
  async overview(db: Db, hours: number): Promise<Overview> {
    const to = this.deps.clock.now();
    const from = new Date(to.getTime() - hours * 3600_000);
    const rows = await db
      .selectFrom('threats_alerts')
      .select(['scenario', 'ip', 'events', 'tier', 'listed_by', 'created_at'])
      .where('created_at', '>=', from.toISOString())
      .orderBy('created_at', 'desc')
      .limit(20_000)
      .execute();
    const timeline = new Map<string, { hour: string; scenario: string; alerts: number; events: number }>();
    const byScenario = new Map<string, { scenario: string; alerts: number; events: number }>();
    const ips = new Map<string, { ip: string; alerts: number; events: number; scenarios: Set<string>; listedBy: Set<string> }>();
    const nets = new Map<string, { network: string; alerts: number; ips: Set<string> }>();
    let paged = 0;
    for (const r of rows) {
      const events = Number(r.events);
      const hour = `${r.created_at.slice(0, 13)}:00:00.000Z`;
      const tk = `${hour}|${r.scenario}`;
      const t = timeline.get(tk) ?? { hour, scenario: r.scenario, alerts: 0, events: 0 };
      t.alerts++;
      t.events += events;
      timeline.set(tk, t);
      const b = byScenario.get(r.scenario) ?? { scenario: r.scenario, alerts: 0, events: 0 };
      b.alerts++;
      b.events += events;
      byScenario.set(r.scenario, b);
      if (r.tier === 'page') paged++;
      if (!r.ip) continue;
      const i = ips.get(r.ip) ?? { ip: r.ip, alerts: 0, events: 0, scenarios: new Set<string>(), listedBy: new Set<string>() };
      i.alerts++;
      i.events += events;
      i.scenarios.add(r.scenario);
      for (const f of parse<string[]>(r.listed_by, [])) i.listedBy.add(f);
      ips.set(r.ip, i);
      const network = net24(r.ip) ?? ipv6Prefix64(r.ip);
      if (network) {
        const n = nets.get(network) ?? { network, alerts: 0, ips: new Set<string>() };
        n.alerts++;
        n.ips.add(r.ip);
        nets.set(network, n);
      }
    }
    const nowIso = to.toISOString();
    const active = await db
      .selectFrom('threats_decisions')
      .select(['simulated', (eb) => eb.fn.countAll<number>().as('n')])
      .where('until', '>', nowIso)
      .where('deleted_at', 'is', null)
      .groupBy('simulated')
      .execute();
    const made = await db
      .selectFrom('threats_decisions')
      .select(['scenario', (eb) => eb.fn.countAll<number>().as('n')])
      .where('created_at', '>=', from.toISOString())
      .where('simulated', '=', 0)
      .groupBy('scenario')
      .execute();
    return {
      from: from.toISOString(),
      to: nowIso,
      decisionsByScenario: made
        .map((m) => ({ scenario: m.scenario, decisions: Number(m.n) }))
        .sort((a, b) => b.decisions - a.decisions || a.scenario.localeCompare(b.scenario)),
      timeline: [...timeline.values()].sort((a, b) => a.hour.localeCompare(b.hour) || a.scenario.localeCompare(b.scenario)),
      byScenario: [...byScenario.values()].sort((a, b) => b.alerts - a.alerts),
      topIps: [...ips.values()]
        .sort((a, b) => b.alerts - a.alerts || b.events - a.events)
        .slice(0, 20)
        .map((i) => ({ ...i, scenarios: [...i.scenarios], listedBy: [...i.listedBy] })),
      topNetworks: [...nets.values()]
        .sort((a, b) => b.alerts - a.alerts)
        .slice(0, 20)
        .map((n) => ({ network: n.network, alerts: n.alerts, ips: n.ips.size })),
      totals: {
        alerts: rows.length,
        paged,
        activeDecisions: Number(active.find((a) => Number(a.simulated) === 0)?.n ?? 0),
        simulatedDecisions: Number(active.find((a) => Number(a.simulated) === 1)?.n ?? 0),
      },
    };
  }
}
