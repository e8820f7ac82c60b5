import { api } from '../app/api.ts';

// The API's own types, imported as types only (erased from the bundle) so the page cannot drift from the server.
import type {
  ComponentState,
  StatusComponent,
  StatusDay,
  StatusDocument,
  StatusIncident,
} from '../../../src/modules/monitoring/status-page.service.ts';

export type { ComponentState, StatusComponent, StatusDay, StatusDocument, StatusIncident };

/** The public status document: no session, and a 401 (which cannot happen) would not end any session. */
export const statusApi = {
  get: (signal?: AbortSignal) => api.get<StatusDocument>('/api/v1/status', { quiet401: true, ...(signal ? { signal } : {}) }),
};
