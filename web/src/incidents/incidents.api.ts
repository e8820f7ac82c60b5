import { api, query } from '../app/api.ts';

// The API's own types, imported as types only (erased from the bundle) so the console cannot drift from the server.
import type { Severity } from '../../../src/core/signals.ts';
import type { Incident, IncidentDetail, PostmortemAction } from '../../../src/modules/incidents/incidents.service.ts';
import type { IncidentState, TimelineKind } from '../../../src/modules/incidents/incidents.store.ts';
import type { TimelineEntry } from '../../../src/modules/incidents/incidents.timeline.ts';
import type { MaintenanceWindow } from '../../../src/modules/incidents/maintenance.service.ts';

export type {
  Incident,
  IncidentDetail,
  IncidentState,
  MaintenanceWindow,
  PostmortemAction,
  Severity,
  TimelineEntry,
  TimelineKind,
};
export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'info'];
export const STATES: readonly IncidentState[] = ['triggered', 'acknowledged', 'resolved'];

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
