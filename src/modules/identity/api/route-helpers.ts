import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../core/auth.ts';
import type { Db } from '../../../core/db/database.ts';
import { forbidden, unauthenticated } from '../../../core/errors.ts';
import { SESSION_COOKIE, SESSION_COOKIE_OPTIONS, type LiveSession, type NewSession, type Sessions } from '../sessions.ts';

/** The signed-in browser session behind the actor; API tokens are refused (they cannot enrol MFA or change passwords). */
export async function requireSession(db: Db, sessions: Sessions, actor: Actor): Promise<LiveSession> {
  if (actor.type === 'token') throw forbidden('session_required', 'sign in with a password: an API token cannot do this');
  if (actor.type !== 'user' || !actor.sessionId) throw unauthenticated('authentication_required', 'sign in first');
  const s = await sessions.get(db, actor.sessionId);
  if (!s) throw unauthenticated('authentication_required', 'sign in first');
  return s;
}

/** Send a new session cookie (HttpOnly, Secure, SameSite=Strict, Path=/). */
export function setSessionCookie(reply: FastifyReply, s: NewSession): void {
  void reply.setCookie(SESSION_COOKIE, s.cookieValue, SESSION_COOKIE_OPTIONS);
}

/** Tell the browser to drop the session cookie. */
export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS);
}

/** The session cookie value the request carries, if any. */
export const sessionCookieOf = (req: FastifyRequest): string | undefined => req.cookies[SESSION_COOKIE];

/** The User-Agent, bounded for storage. */
export function userAgentOf(req: FastifyRequest): string | undefined {
  return req.headers['user-agent']?.slice(0, 512);
}

/** A single-valued request header. */
export function headerOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}
