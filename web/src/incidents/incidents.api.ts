import { api, query } from '../app/api.ts';

/** Shapes of the incidents API (mirrors src/modules/incidents; the console does not import server code). */
export type IncidentState = 'triggered' | 'acknowledged' | 'resolved';
export type Severity = 'critical' | 'major' | 'minor' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'info'];
export const STATES: readonly IncidentState[] = ['triggered', 'acknowledged', 'resolved'];

export interface PostmortemAction {
  text: string;
  owner?: string | undefined;
  done: boolean;
}

export interface Incident {
  id: string;
  dedupKey: string;
  source: string;
  severity: Severity;
  summary: string;
  component: string | null;
  state: IncidentState;
  expected: boolean;
  changeRef: string | null;
  flapping: boolean;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  lastSignalAt: string;
  signalCount: number;
  reopenCount: number;
  postmortem: { summary: string; rootCause: string; actions: PostmortemAction[]; updatedAt: string; updatedBy: string } | null;
}

export type TimelineKind =
  'signal' | 'state' | 'ack' | 'escalation' | 'notification' | 'note' | 'resolution' | 'flapping' | 'child' | 'postmortem';

export interface TimelineEntry {
  seq: number;
  at: string;
  kind: TimelineKind;
  actor: string | null;
  actorName: string | null;
  signalId: string | null;
  body: Record<string, unknown>;
}

export interface IncidentDetail extends Incident {
  timeline: TimelineEntry[];
  childKeys: string[];
}

export interface MaintenanceWindow {
  id: string;
  title: string;
  changeRef: string;
  keyPrefixes: string[];
  components: string[];
  kind: 'once' | 'weekly';
  startsAt: string;
  endsAt: string | null;
  weekdays: number[];
  localTime: string | null;
  durationMinutes: number | null;
  timeZone: string;
  endedAt: string | null;
  activeNow: boolean;
  nextStart: string | null;
}

export interface NewWindow {
  title: string;
  changeRef: string;
  keyPrefixes: string[];
  components: string[];
  kind: 'once' | 'weekly';
  startsAt: string;
  endsAt?: string | undefined;
  weekdays?: number[] | undefined;
  localTime?: string | undefined;
  durationMinutes?: number | undefined;
  timeZone?: string | undefined;
}

export interface Completeness {
  from: string;
  to: string;
  rows: {
    day: string;
    source: string;
    deviations: number;
    registered: number;
    checksExpected: number | null;
    checksExecuted: number | null;
  }[];
  totals: { deviations: number; registered: number };
}

export interface IncidentFilter {
  state?: string | undefined;
  severity?: string | undefined;
  source?: string | undefined;
  cursor?: string | undefined;
}

export const incidentsApi = {
  list: (f: IncidentFilter) =>
    api.get<{ items: Incident[]; nextCursor: string | null }>(`/api/v1/incidents${query({ ...f, limit: 50 })}`),
  get: (id: string) => api.get<IncidentDetail>(`/api/v1/incidents/${encodeURIComponent(id)}`),
  ack: (id: string) => api.post<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}/ack`),
  resolve: (id: string, note?: string) =>
    api.post<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}/resolve`, note ? { note } : {}),
  note: (id: string, text: string) => api.post<{ seq: number }>(`/api/v1/incidents/${encodeURIComponent(id)}/notes`, { text }),
  postmortem: (id: string, pm: { summary: string; rootCause: string; actions: PostmortemAction[] }) =>
    api.put<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}/postmortem`, pm),
  completeness: () => api.get<Completeness>('/api/v1/incidents/completeness'),
  windows: (ended: boolean) =>
    api.get<{ items: MaintenanceWindow[] }>(`/api/v1/maintenance-windows${query({ ended: ended ? 'true' : undefined })}`),
  createWindow: (w: NewWindow) => api.post<MaintenanceWindow>('/api/v1/maintenance-windows', w),
  deleteWindow: (id: string) =>
    api.delete<{ outcome: 'deleted' | 'ended' }>(`/api/v1/maintenance-windows/${encodeURIComponent(id)}`),
};
