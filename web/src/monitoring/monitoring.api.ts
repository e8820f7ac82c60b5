import { api, query } from '../app/api.ts';

/** Shapes of the monitoring API (mirrors src/modules/monitoring; the console does not import server code). */
export const MONITOR_TYPES = ['http', 'tcp', 'dns', 'tls', 'smtp', 'imap', 'pop3', 'heartbeat'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];
export type MonitorState = 'unknown' | 'up' | 'down';

/** A definition as stored: common fields plus the type's own (kept loose here; the server validates). */
export interface MonitorDefinition {
  type: MonitorType;
  name: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
  severity: 'critical' | 'major' | 'minor' | 'info';
  [field: string]: unknown;
}

export interface Monitor {
  id: string;
  name: string;
  type: MonitorType;
  definition: MonitorDefinition;
  paused: boolean;
  state: MonitorState;
  stateChangedAt: string | null;
  lastCheckAt: string | null;
  lastOk: boolean | null;
  lastResponseMs: number | null;
  lastError: string | null;
  lastHeartbeatAt: string | null;
  locations: string[];
  createdAt: string;
  updatedAt: string;
}

export interface MonitorListItem extends Monitor {
  uptime24h: number | null;
  spark: (number | null)[];
}

export interface CreatedMonitor extends Monitor {
  heartbeatToken?: string;
  heartbeatUrl?: string;
}

export interface RawResult {
  at: string;
  location: string;
  ok: boolean;
  responseMs: number | null;
  error: string | null;
}

export interface UptimeWindow {
  window: '24h' | '7d' | '30d' | '90d';
  checks: number;
  failures: number;
  uptimePercent: number | null;
}

export const monitoringApi = {
  list: () => api.get<{ items: MonitorListItem[] }>('/api/v1/monitors'),
  get: (id: string) => api.get<Monitor>(`/api/v1/monitors/${encodeURIComponent(id)}`),
  create: (def: Record<string, unknown>) => api.post<CreatedMonitor>('/api/v1/monitors', def),
  update: (id: string, patch: Record<string, unknown>) => api.patch<Monitor>(`/api/v1/monitors/${encodeURIComponent(id)}`, patch),
  remove: (id: string) => api.delete(`/api/v1/monitors/${encodeURIComponent(id)}`),
  pause: (id: string) => api.post<Monitor>(`/api/v1/monitors/${encodeURIComponent(id)}/pause`),
  resume: (id: string) => api.post<Monitor>(`/api/v1/monitors/${encodeURIComponent(id)}/resume`),
  results: (id: string, from?: string) =>
    api.get<{ resolution: 'raw'; items: RawResult[] }>(
      `/api/v1/monitors/${encodeURIComponent(id)}/results${query({ from, resolution: 'raw' })}`,
    ),
  uptime: (id: string) => api.get<{ windows: UptimeWindow[] }>(`/api/v1/monitors/${encodeURIComponent(id)}/uptime`),
};
