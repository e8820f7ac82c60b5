import { api, query } from '../../app/api.ts';

/** Shapes of the physical-access API (mirrors src/modules/access/sites.service.ts and friends). */
export const SITE_HOLDINGS = ['customer-data', 'backups', 'management', 'network', 'office'] as const;
export type SiteHolding = (typeof SITE_HOLDINGS)[number];

export interface Site {
  id: string;
  name: string;
  address: string;
  country: string;
  holds: SiteHolding[];
  operator: string;
  ownerId: string | null;
  ownerName: string | null;
  notes: string;
  residencyViolation: string | null;
  doors: number;
  entrances: number;
  cameras: number;
  entrancesWithoutCamera: { id: string; name: string }[];
  activeGrants: number;
}

export interface SiteDetail extends Site {
  doorList: { id: string; name: string; entrance: boolean; cameras: { id: string; name: string }[]; cameraGap: boolean }[];
  cameraList: { id: string; name: string; doorId: string | null; doorName: string | null }[];
  access: {
    grantId: string;
    personId: string;
    personName: string;
    personStatus: string;
    justification: string;
    startsAt: string;
    expiresAt: string | null;
    badges: string[];
  }[];
}

export interface SiteInput {
  name: string;
  address: string;
  country: string;
  holds: SiteHolding[];
  operator: string;
  notes: string;
}

export interface SiteGrant {
  id: string;
  personId: string;
  personName: string;
  personStatus: string;
  siteId: string;
  siteName: string;
  justification: string;
  requestedBy: string;
  approvedBy: string | null;
  approvedAt: string | null;
  state: 'pending' | 'active' | 'expired' | 'revoked' | 'rejected';
  startsAt: string;
  expiresAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  expiringSoon: boolean;
}

export interface BadgeEvent {
  id: string;
  occurredAt: string;
  badge: string;
  siteId: string;
  siteName: string;
  doorId: string;
  doorName: string;
  result: 'granted' | 'denied';
  personId: string | null;
  personName: string | null;
  findings: ('no-grant' | 'leaver' | 'denials')[];
}

export interface BadgeHolder {
  id: string;
  number: string;
  personId: string;
  personName: string;
  personStatus: string;
  issuedAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
}

/** The answer to a badge-events import: counts, and the result of every data line. */
export interface BadgeImportResult {
  importId: string;
  format: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejectedRows: { line: number; text: string; reason: string }[];
  acceptedLines: number[];
  duplicateLines: number[];
  signals: { noGrant: number; leaver: number; denials: number };
}

export interface BadgeEventFilter {
  siteId?: string;
  result?: string;
  badge?: string;
  findings?: string;
  limit?: number;
}

export const physicalApi = {
  sites: () => api.get<{ items: Site[] }>('/api/v1/access/sites'),
  site: (id: string) => api.get<SiteDetail>(`/api/v1/access/sites/${encodeURIComponent(id)}`),
  createSite: (body: SiteInput) => api.post<Site>('/api/v1/access/sites', body),
  addDoor: (siteId: string, body: { name: string; entrance: boolean }) =>
    api.post(`/api/v1/access/sites/${encodeURIComponent(siteId)}/doors`, body),
  addCamera: (siteId: string, body: { name: string; doorId: string | null }) =>
    api.post(`/api/v1/access/sites/${encodeURIComponent(siteId)}/cameras`, body),
  people: () => api.get<{ items: { id: string; name: string; status: string }[] }>('/api/v1/access/people'),
  requestGrant: (body: { personId: string; siteId: string; justification: string; expiresAt: string | null }) =>
    api.post<SiteGrant>('/api/v1/access/site-grants', body),
  siteGrants: (q: { siteId?: string; state?: string } = {}) =>
    api.get<{ items: SiteGrant[] }>(`/api/v1/access/site-grants${query(q)}`),
  approve: (id: string) => api.post<SiteGrant>(`/api/v1/access/site-grants/${encodeURIComponent(id)}/approve`),
  revoke: (id: string, reason: string) =>
    api.post<SiteGrant>(`/api/v1/access/site-grants/${encodeURIComponent(id)}/revoke`, { reason }),
  reject: (id: string, reason: string) =>
    api.post<SiteGrant>(`/api/v1/access/site-grants/${encodeURIComponent(id)}/reject`, { reason }),
  badges: (all: boolean) => api.get<{ items: BadgeHolder[] }>(`/api/v1/access/badges${query({ all: all ? 'true' : '' })}`),
  issueBadge: (body: { number: string; personId: string }) => api.post<BadgeHolder>('/api/v1/access/badges', body),
  revokeBadge: (id: string, reason: string) =>
    api.post<undefined>(`/api/v1/access/badges/${encodeURIComponent(id)}/revoke`, { reason }),
  /** The file's text; the format (CSV or syslog lines) is recognised by the server from the first line. */
  importBadgeEvents: (text: string) => api.post<BadgeImportResult>('/api/v1/access/badge-events/import', text),
  badgeEvents: (f: BadgeEventFilter) => api.get<{ items: BadgeEvent[] }>(`/api/v1/access/badge-events${query({ ...f })}`),
  perDay: (days: number, siteId?: string) =>
    api.get<{ items: { day: string; granted: number; denied: number }[] }>(
      `/api/v1/access/badge-events/per-day${query({ days, siteId })}`,
    ),
};
