import { api } from '../app/api.ts';

/** Roles in the order the console lists them. */
export const ROLES = ['admin', 'security-officer', 'operator', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  username: string;
  /** Defaults to the username. */
  displayName: string;
  role: Role;
  mfaEnabled: boolean;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface MeResponse {
  user: User;
  /** Null when the caller is an API token (no CSRF needed). */
  csrfToken: string | null;
  mfaEnrolmentRequired: boolean;
  permissions: string[];
}

export interface LoginResponse {
  user: User;
  mfa: 'required' | 'enrol' | 'none';
  csrfToken: string;
}

export interface EnrolStart {
  secret: string;
  otpauthUrl: string;
  qrDataUrl: string;
}

export interface Token {
  id: string;
  name: string;
  userId: string;
  username: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedToken extends Token {
  /** The secret itself: shown once, never again. */
  token: string;
}

export interface NewUser {
  username: string;
  displayName?: string;
  role: Role;
  password: string;
}

export interface UserPatch {
  displayName?: string;
  role?: Role;
  disabled?: boolean;
}

const quiet = { quiet401: true };

export const identityApi = {
  me: () => api.get<MeResponse>('/api/v1/auth/me', quiet),
  login: (username: string, password: string) => api.post<LoginResponse>('/api/v1/auth/login', { username, password }, quiet),
  mfa: (code: string) => api.post<{ user: User; csrfToken: string }>('/api/v1/auth/mfa', { code }, quiet),
  logout: () => api.post<void>('/api/v1/auth/logout', {}, quiet),
  enrolStart: () => api.post<EnrolStart>('/api/v1/auth/mfa/enrol/start'),
  enrolConfirm: (code: string) => api.post<{ recoveryCodes: string[] }>('/api/v1/auth/mfa/enrol/confirm', { code }),
  changePassword: (currentPassword: string, newPassword: string) =>
    api.post<void>('/api/v1/auth/password', { currentPassword, newPassword }),
  users: () => api.get<{ items: User[] }>('/api/v1/users'),
  createUser: (u: NewUser) => api.post<User>('/api/v1/users', u),
  updateUser: (id: string, patch: UserPatch) => api.patch<User>(`/api/v1/users/${encodeURIComponent(id)}`, patch),
  resetMfa: (id: string) => api.post<unknown>(`/api/v1/users/${encodeURIComponent(id)}/mfa/reset`),
  /** One's own tokens, or with `all` (needs tokens.read) everyone's. */
  tokens: (all = false) => api.get<{ items: Token[] }>(`/api/v1/tokens${all ? '?all=true' : ''}`),
  createToken: (t: { name: string; scopes: string[]; expiresInDays?: number }) => api.post<CreatedToken>('/api/v1/tokens', t),
  revokeToken: (id: string) => api.delete(`/api/v1/tokens/${encodeURIComponent(id)}`),
};
