// The API's own types, imported as types only (erased from the bundle) so the console cannot drift from the server.
import type { LoginResponse, MeResponse } from '../../../src/modules/identity/api/auth.routes.ts';
import type { CreateUserBody, UpdateUserBody } from '../../../src/modules/identity/api/identity.schemas.ts';
import type { Token, User } from '../../../src/modules/identity/identity.model.ts';
import { api } from '../app/api.ts';

export type { LoginResponse, MeResponse, Token, User };

/** Roles in the order the console lists them. */
export const ROLES = ['admin', 'security-officer', 'operator', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface EnrolStart {
  secret: string;
  otpauthUrl: string;
  qrDataUrl: string;
}

export interface CreatedToken extends Token {
  /** The secret itself: shown once, never again. */
  token: string;
}

export type NewUser = CreateUserBody;
export type UserPatch = UpdateUserBody;

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
