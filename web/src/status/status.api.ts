import { api } from '../app/api.ts';

/** Shapes of `GET /api/v1/status` (mirrors src/modules/monitoring/status-page.service.ts). */
export type ComponentState = 'operational' | 'degraded' | 'outage';

export interface StatusDay {
  date: string;
  uptime: number | null;
}

export interface StatusComponent {
  name: string;
  state: ComponentState;
  uptime90: number | null;
  days: StatusDay[];
}

export interface StatusIncident {
  id: string;
  component: string;
  title: string;
  state: 'investigating' | 'identified';
  startedAt: string;
  updatedAt: string | null;
}

export interface StatusDocument {
  title: string;
  state: ComponentState;
  components: StatusComponent[];
  incidents: StatusIncident[];
  generatedAt: string;
}

/** The public status document: no session, and a 401 (which cannot happen) would not end any session. */
export const statusApi = {
  get: (signal?: AbortSignal) => api.get<StatusDocument>('/api/v1/status', { quiet401: true, ...(signal ? { signal } : {}) }),
};
