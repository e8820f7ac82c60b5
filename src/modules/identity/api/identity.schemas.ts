import { z } from 'zod';
import { ROLES } from '../../../core/auth.ts';

// Bounds here only keep hostile input small; the services apply the real rules with stable error codes
// (username_invalid, password_too_short, token_scope_invalid …).

export const loginBody = z.strictObject({
  /** Username, any case. */
  username: z.string().min(1).max(256),
  /** Password; never logged, never echoed in errors. */
  password: z.string().min(1).max(4096),
});
export type LoginBody = z.infer<typeof loginBody>;

export const codeBody = z.strictObject({
  /** A 6-digit TOTP code, or a recovery code (`abcd-efgh-jkmn-pqrs`). */
  code: z.string().min(1).max(64),
});
export type CodeBody = z.infer<typeof codeBody>;

export const passwordBody = z.strictObject({
  /** The password in use now. */
  currentPassword: z.string().min(1).max(4096),
  /** The new password: 12–1024 characters. */
  newPassword: z.string().min(1).max(4096),
});
export type PasswordBody = z.infer<typeof passwordBody>;

export const createUserBody = z.strictObject({
  /** 2–64 characters: letters, digits, `. _ @ -`; stored in lower case. */
  username: z.string().min(1).max(256),
  /** Shown in the console and the audit log; defaults to the username. */
  displayName: z.string().max(256).optional(),
  /** One of the fixed roles. */
  role: z.enum(ROLES),
  /** Initial password: 12–1024 characters. */
  password: z.string().max(4096),
});
export type CreateUserBody = z.infer<typeof createUserBody>;

export const updateUserBody = z
  .strictObject({
    /** New display name. */
    displayName: z.string().max(256).optional(),
    /** New role (ends the user's sessions). */
    role: z.enum(ROLES).optional(),
    /** Disable (ends sessions, stops tokens) or enable again. */
    disabled: z.boolean().optional(),
  })
  .refine((b) => b.displayName !== undefined || b.role !== undefined || b.disabled !== undefined, {
    message: 'change at least one of displayName, role, disabled',
  });
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const idParams = z.strictObject({
  /** The id (UUID). */
  id: z.uuid(),
});
export type IdParams = z.infer<typeof idParams>;

export const listTokensQuery = z.strictObject({
  /** `true`: every user's tokens (needs tokens.read); default: one's own. */
  all: z.enum(['true', 'false']).optional(),
});
export type ListTokensQuery = z.infer<typeof listTokensQuery>;

export const createTokenBody = z.strictObject({
  /** What the token is for, e.g. `prometheus scraper`. */
  name: z.string().min(1).max(256),
  /** Permissions the token may use, each held by one's own role. */
  scopes: z.array(z.string().min(1).max(128)).min(1).max(256),
  /** Lifetime in days (default 90, at most 365). */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateTokenBody = z.infer<typeof createTokenBody>;
