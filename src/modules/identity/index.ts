import { z } from 'zod';
import type { AuditSink } from '../../core/audit.ts';
import type { AccessPolicy, Permission, PermissionSpec } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Authenticator } from '../../core/http/routes.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';

// STUB: replaced by the identity implementation.
export const identityConfig = {
  name: 'identity',
  schema: z.object({
    /** Minutes of inactivity after which a session ends. */
    sessionIdleMinutes: z.coerce.number().int().min(1).max(24 * 60).default(30),
    /** Hours after sign-in after which a session ends regardless of activity. */
    sessionAbsoluteHours: z.coerce.number().int().min(1).max(168).default(12),
  }),
};
export type IdentityConfig = z.infer<typeof identityConfig.schema>;

export const identityPermissions: Record<Permission, PermissionSpec> = {
  'users.read': { roles: ['admin', 'security-officer'], description: 'List users' },
};

export interface IdentityDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: IdentityConfig;
  audit: AuditSink;
  policy: AccessPolicy;
}

export interface IdentityModule extends SkjoldModule {
  authenticator: Authenticator;
}

export function createIdentityModule(_deps: IdentityDeps): IdentityModule {
  return {
    name: 'identity',
    migrations: {},
    permissions: identityPermissions,
    authenticator: { authenticate: () => Promise.resolve({ actor: { type: 'anonymous' }, via: 'none' }) },
    routes: () => [],
  };
}
