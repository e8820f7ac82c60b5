import { api, query } from '../app/api.ts';

/** Shapes of the threats API (mirrors src/modules/threats; the console does not import server code). */
export type Tier = 'enrich' | 'decision' | 'page';
export const TIERS: readonly Tier[] = ['enrich', 'decision', 'page'];
export type DecisionState = 'active' | 'expired' | 'removed' | 'all';
export const DECISION_STATES: readonly DecisionState[] = ['active', 'expired', 'removed', 'all'];

/** Country and autonomous system of an address, from the offline database (null where it does not know). */
export interface GeoInfo {
  country: string | null;
  asn: number | null;
  asName: string | null;
}

export interface Overview {
  from: string;
  to: string;
  /** Alerts per UTC hour and scenario (`hour` is the hour's start). */
  timeline: { hour: string; scenario: string; alerts: number; events: number }[];
  byScenario: { scenario: string; alerts: number; events: number }[];
  topIps: { ip: string; alerts: number; events: number; scenarios: string[]; listedBy: string[]; geo: GeoInfo | null }[];
  topNetworks: { network: string; alerts: number; ips: number }[];
  totals: { alerts: number; paged: number; activeDecisions: number; simulatedDecisions: number };
  /** The engine's own figures (null where this process does not run the detector); loosely typed on purpose. */
  stats: EngineStats | null;
}

/** The figures the live view shows from `/threats/stats`; every field optional because the engine may change. */
export interface EngineStats {
  processed?: number;
  ingestLagSeconds?: number;
  queue?: { depth?: number; dropped?: number; highWater?: number };
  pipeline?: {
    lines?: number;
    events?: number;
    ignored?: number;
    unparsable?: number;
    allowlisted?: number;
    listedHits?: number;
  };
  detector?: { liveBuckets?: number; overflows?: number };
  writer?: { alerts?: number; suppressed?: number; decisions?: number; pending?: number };
}

export interface Alert {
  id: string;
  scenario: string;
  key: string;
  ip: string | null;
  scopeValue: string | null;
  severity: string;
  tier: Tier;
  labels: Record<string, string>;
  ips: string[];
  listedBy: string[];
  events: number;
  overflows: number;
  firstAt: string;
  lastAt: string;
  /** Evidence: the log lines that made the alert. */
  samples: string[];
  decisionId: string | null;
  simulated: boolean;
  createdAt: string;
}

export interface Decision {
  id: string;
  seq: number;
  value: string;
  scope: 'ip' | 'range';
  type: 'ban';
  origin: 'skjold' | 'manual' | 'feed';
  scenario: string;
  reason: string;
  offence: number;
  alertId: string | null;
  /** Epoch ms. */
  createdAt: number;
  until: number;
  deletedAt?: number;
  deletedBy: string | null;
  simulated: boolean;
}

export interface AlertDetail extends Alert {
  decision: Decision | null;
  geo: GeoInfo | null;
}

export interface Feed {
  id: string;
  name: string;
  format: string;
  url: string | null;
  file: string | null;
  enabled: boolean;
  refreshSeconds: number;
  licence: string;
  attribution: string;
  homepage: string | null;
  status: 'ok' | 'stale' | 'rejected' | 'failed' | 'never';
  reason: string | null;
  entries: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
}

export interface FeedRefreshResult {
  id: string;
  status: string;
  reason?: string;
  entries: number;
  checkedAt: string;
}

export interface AllowlistEntry {
  /** Null for entries from the configuration: they cannot be removed here. */
  id: string | null;
  cidr: string;
  reason: string;
  source: 'config' | 'console';
  createdAt: string | null;
  createdBy: string | null;
}

export interface AlertFilter {
  scenario?: string | undefined;
  ip?: string | undefined;
  tier?: Tier | undefined;
  before?: string | undefined;
}

export interface DecisionFilter {
  state: DecisionState;
  q?: string | undefined;
  beforeSeq?: number | undefined;
}

/** Rows per page of the long lists. */
export const PAGE_SIZE = 50;

const id = (s: string) => encodeURIComponent(s);

export const threatsApi = {
  overview: (hours: number) => api.get<Overview>(`/api/v1/threats/overview${query({ hours })}`),
  alerts: (f: AlertFilter) =>
    api.get<{ items: Alert[]; nextBefore: string | null }>(`/api/v1/threats/alerts${query({ ...f, limit: PAGE_SIZE })}`),
  alert: (alertId: string) => api.get<AlertDetail>(`/api/v1/threats/alerts/${id(alertId)}`),
  decisions: (f: DecisionFilter) =>
    api.get<{ items: Decision[]; nextBeforeSeq: number | null }>(`/api/v1/threats/decisions${query({ ...f, limit: PAGE_SIZE })}`),
  ban: (body: { target: string; durationSeconds?: number; reason: string; simulated?: boolean }) =>
    api.post<Decision>('/api/v1/threats/decisions', body),
  unban: (decisionId: string) => api.delete<Decision>(`/api/v1/threats/decisions/${id(decisionId)}`),
  allowlist: () => api.get<{ items: AllowlistEntry[] }>('/api/v1/threats/allowlist'),
  allow: (body: { cidr: string; reason: string }) => api.post<AllowlistEntry>('/api/v1/threats/allowlist', body),
  disallow: (entryId: string) => api.delete(`/api/v1/threats/allowlist/${id(entryId)}`),
  feeds: () => api.get<{ items: Feed[] }>('/api/v1/threats/feeds'),
  refreshFeed: (feedId: string) => api.post<FeedRefreshResult>(`/api/v1/threats/feeds/${id(feedId)}/refresh`),
};
