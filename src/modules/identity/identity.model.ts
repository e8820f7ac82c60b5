import type { Permission, Role } from '../../core/auth.ts';
import type { TokenRow, UserRow } from './identity.store.ts';

/** A user as the API shows it (also `Me`). Never carries a password hash or MFA secret. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  mfaEnabled: boolean;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

/** An API token as the API shows it: never the token itself, except once at creation. */
export interface Token {
  id: string;
  name: string;
  userId: string;
  username: string;
  scopes: Permission[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The API view of a user row. */
export function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    mfaEnabled: r.mfa_secret !== null,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at,
  };
}

/** The API view of a token row (never the token or its hash). */
export function toToken(r: TokenRow & { username: string }): Token {
  return {
    id: r.id,
    name: r.name,
    userId: r.user_id,
    username: r.username,
    scopes: JSON.parse(r.scopes) as Permission[],
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/** The audit reference of a user. */
export const userRef = (id: string): string => `user:${id}`;
