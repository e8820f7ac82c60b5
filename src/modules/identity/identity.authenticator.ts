import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import { unauthenticated } from '../../core/errors.ts';
import type { AuthResult, Authenticator } from '../../core/http/routes.ts';
import { SESSION_COOKIE, type Sessions } from './sessions.ts';
import { sessionActor } from './sign-in.service.ts';
import type { TokensService } from './tokens.service.ts';

const ANONYMOUS: AuthResult = { actor: { type: 'anonymous' }, via: 'none' };

/**
 * Who is calling: `Authorization: Bearer skj_…` (an API token; anything wrong with it is a 401), else the session
 * cookie. A session waiting for its second factor is anonymous everywhere except the MFA route, which reads the
 * cookie itself; an expired or revoked session is simply anonymous (so sign-in still works with a stale cookie).
 */
export function createAuthenticator(deps: {
  database: Database;
  clock: Clock;
  sessions: Sessions;
  tokens: TokensService;
}): Authenticator {
  return {
    async authenticate(req: FastifyRequest): Promise<AuthResult> {
      const db = deps.database.db;
      const authorization = req.headers.authorization;
      if (authorization !== undefined) {
        const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
        if (!m?.[1]) throw unauthenticated('token_invalid', 'send an API token as Authorization: Bearer skj_…');
        return { actor: await deps.tokens.authenticate(db, m[1]), via: 'bearer' };
      }
      const cookie = req.cookies[SESSION_COOKIE];
      if (!cookie) return ANONYMOUS;
      const now = deps.clock.now();
      const s = await deps.sessions.find(db, cookie, now);
      if (!s || s.stage === 'pending_mfa') return ANONYMOUS;
      await deps.sessions.touch(db, s, now);
      return {
        actor: sessionActor({ id: s.userId, username: s.username, role: s.role }, s.id, s.stage === 'enrol'),
        via: 'cookie',
        csrfToken: s.csrfToken,
      };
    },
  };
}
