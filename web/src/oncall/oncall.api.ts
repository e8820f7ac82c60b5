import { api, query } from '../app/api.ts';

// The API's own types, imported as types only (erased from the bundle) so the console cannot drift from the server.
import type { ScheduleLayer } from '../../../src/modules/oncall/oncall-schedule.ts';
import type {
  IssuedKey,
  OnCallNow,
  Override,
  Schedule,
  ScheduleGaps,
  ShiftView,
} from '../../../src/modules/oncall/oncall.service.ts';

export type { IssuedKey, OnCallNow, Override, Schedule, ScheduleGaps, ScheduleLayer, ShiftView };

const sid = (id: string) => encodeURIComponent(id);

export const oncallApi = {
  schedules: () => api.get<{ items: Schedule[] }>('/api/v1/oncall/schedules'),
  schedule: (id: string) => api.get<Schedule & { overrides: Override[] }>(`/api/v1/oncall/schedules/${sid(id)}`),
  shifts: (id: string, from: string, to: string) =>
    api.get<{ items: ShiftView[] }>(`/api/v1/oncall/schedules/${sid(id)}/shifts${query({ from, to })}`),
  now: () => api.get<{ items: OnCallNow[] }>('/api/v1/oncall/now'),
  gaps: () => api.get<{ items: ScheduleGaps[] }>('/api/v1/oncall/gaps'),
  rotateMyKey: () => api.post<IssuedKey>('/api/v1/oncall/me/calendar-key'),
  rotateScheduleKey: (id: string) => api.post<IssuedKey>(`/api/v1/oncall/schedules/${sid(id)}/calendar-key`),
  addOverride: (id: string, o: { userId: string; startsAt: string; endsAt: string; reason: string }) =>
    api.post<Override>(`/api/v1/oncall/schedules/${sid(id)}/overrides`, o),
  removeOverride: (id: string, overrideId: string) =>
    api.delete<undefined>(`/api/v1/oncall/schedules/${sid(id)}/overrides/${sid(overrideId)}`),
};
