import type { AuditSink } from '../../core/audit.ts';
import type { AccessPolicy } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Authenticator } from '../../core/http/routes.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import { createSecretBox } from '../../core/secrets.ts';
import { authRoutes } from './api/auth.routes.ts';
import { tokensRoutes } from './api/tokens.routes.ts';
import { usersRoutes } from './api/users.routes.ts';
import { createAuthenticator } from './identity.authenticator.ts';
import { OWASP_ARGON2_MEMORY_KIB, type IdentityConfig } from './identity.config.ts';
import { identityPermissions } from './identity.permissions.ts';
import { IdentityService } from './identity.service.ts';
import { LoginThrottle } from './login-throttle.ts';
import { m0001Identity } from './migrations/0001-identity.ts';
import { PasswordHasher } from './passwords.ts';
import { Sessions } from './sessions.ts';

export { identityConfig, type IdentityConfig } from './identity.config.ts';
export { identityPermissions } from './identity.permissions.ts';
export type { User, Token } from './identity.model.ts';
export type { CreatedToken } from './tokens.service.ts';
export type { MeResponse, LoginResponse } from './api/auth.routes.ts';
export { IdentityService } from './identity.service.ts';
export { SESSION_COOKIE } from './sessions.ts';
export { totpCode } from './totp.ts';

export interface IdentityDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: IdentityConfig;
  audit: AuditSink;
  policy: AccessPolicy;
  /** Where `secrets.key` lives (TOTP secrets are sealed with it). */
  dataDir: string;
}

export interface IdentityModule extends SkjoldModule {
  authenticator: Authenticator;
  /** Domain operations for the CLI, tests and benchmarks (createUser, createToken …). */
  service: IdentityService;
}

/**
 * Identity and access to Skjold itself: users (argon2id), TOTP MFA with recovery codes, cookie sessions with CSRF
 * tokens, login throttling, scoped API tokens, and the authenticator every route goes through.
 */
export function createIdentityModule(deps: IdentityDeps): IdentityModule {
  const { config, log, clock, policy, database } = deps;
  if (config.passwordMemoryKib < OWASP_ARGON2_MEMORY_KIB) {
    log.warn(
      { passwordMemoryKib: config.passwordMemoryKib },
      'identity.passwordMemoryKib is below the OWASP minimum (19456): only for tests',
    );
  }
  const sessions = new Sessions({
    idleMinutes: config.sessionIdleMinutes,
    absoluteHours: config.sessionAbsoluteHours,
    challengeMinutes: config.mfaChallengeMinutes,
  });
  const throttle = new LoginThrottle(config);
  const passwords = new PasswordHasher({ memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost });
  const service = new IdentityService({
    database,
    audit: deps.audit,
    clock,
    config,
    policy,
    log,
    sessions,
    throttle,
    passwords,
    secrets: createSecretBox(deps.dataDir),
  });
  const authenticator = createAuthenticator({ database, clock, sessions, tokens: service.tokens });
  return {
    name: 'identity',
    migrations: { '0001-identity': m0001Identity },
    permissions: identityPermissions,
    authenticator,
    service,
    routes: () => [
      ...authRoutes({ service, sessions, policy }),
      ...usersRoutes({ service }),
      ...tokensRoutes({ service, policy }),
    ],
    async start() {
      const now = clock.now();
      await sessions.prune(database.db, now);
      await throttle.prune(database.db, now);
      await passwords.warm();
    },
  };
}
