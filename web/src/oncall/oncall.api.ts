import { api, query } from '../app/api.ts';

/** Shapes of the on-call API (mirrors src/modules/oncall; the console does not import server code). */
export interface ScheduleLayer {
  id: string;
  name: string;
  users: string[];
  rotation: 'daily' | 'weekly' | 'days' | 'hours';
  every: number;
  handoffTime: string;
  startDate: string;
  restriction: { weekdays: number[]; from: string; to: string } | null;
}

export interface Schedule {
  id: string;
  name: string;
  description: string;
  timeZone: string;
  layers: ScheduleLayer[];
  hasCalendarKey: boolean;
  gapFiring: boolean;
}

export interface Override {
  id: string;
  scheduleId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
  reason: string;
}

export interface ShiftView {
  userId: string;
  userName: string;
  start: string;
  end: string;
  source: string;
  sourceType: 'layer' | 'override';
}

export interface OnCallNow {
  scheduleId: string;
  scheduleName: string;
  timeZone: string;
  current: ShiftView | null;
  next: ShiftView | null;
}

export interface ScheduleGaps {
  scheduleId: string;
  scheduleName: string;
  timeZone: string;
  gaps: { start: string; end: string }[];
}

/** A feed key, shown once; `url` is the feed's path. */
export interface IssuedKey {
  key: string;
  url: string;
}

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
