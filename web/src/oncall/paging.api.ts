import { api, query } from '../app/api.ts';

// The API's own types, imported as types only (erased from the bundle) so the console cannot drift from the server.
import type { PageView } from '../../../src/modules/oncall/api/paging.routes.ts';
import type { ChannelKind } from '../../../src/modules/oncall/channels/channel.schemas.ts';
import type {
  ChannelInput,
  Contact,
  ContactInput,
  NotificationChannel,
  Policy,
  PolicyInput,
  TargetInput,
} from '../../../src/modules/oncall/paging.policies.ts';

export type { ChannelInput, ChannelKind, Contact, ContactInput, NotificationChannel, PageView, Policy, PolicyInput, TargetInput };

export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'webhook', 'slack', 'teams', 'sms'];
export const MIN_SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
export type TargetType = 'user' | 'schedule' | 'channel';

/** A target's type and name (`{ user: 'jonas' }` → `['user', 'jonas']`). */
export function targetParts(t: TargetInput): [TargetType, string] {
  if ('user' in t) return ['user', t.user];
  if ('schedule' in t) return ['schedule', t.schedule];
  return ['channel', t.channel];
}

export function makeTarget(type: TargetType, name: string): TargetInput {
  return type === 'user' ? { user: name } : type === 'schedule' ? { schedule: name } : { channel: name };
}

const sid = (id: string) => encodeURIComponent(id);

export const pagingApi = {
  policies: () => api.get<{ items: Policy[] }>('/api/v1/escalation-policies'),
  createPolicy: (p: PolicyInput) => api.post<Policy>('/api/v1/escalation-policies', p),
  updatePolicy: (id: string, p: PolicyInput) => api.put<Policy>(`/api/v1/escalation-policies/${sid(id)}`, p),
  deletePolicy: (id: string) => api.delete<undefined>(`/api/v1/escalation-policies/${sid(id)}`),
  channels: () => api.get<{ items: NotificationChannel[] }>('/api/v1/notification-channels'),
  createChannel: (c: ChannelInput) => api.post<NotificationChannel>('/api/v1/notification-channels', c),
  updateChannel: (id: string, c: ChannelInput) => api.put<NotificationChannel>(`/api/v1/notification-channels/${sid(id)}`, c),
  deleteChannel: (id: string) => api.delete<undefined>(`/api/v1/notification-channels/${sid(id)}`),
  contact: (userId: string) => api.get<Contact>(`/api/v1/oncall/contacts/${sid(userId)}`),
  setContact: (userId: string, c: ContactInput) => api.put<Contact>(`/api/v1/oncall/contacts/${sid(userId)}`, c),
  pages: (incidentId: string) => api.get<{ items: PageView[] }>(`/api/v1/oncall/pages${query({ incidentId })}`),
};
