import type { AccessPolicy, Permission } from '../../../core/auth.ts';
import { type AnyRoute, CommittedFailure, defineRoute } from '../../../core/http/routes.ts';
import type { IdentityService } from '../identity.service.ts';
import { toUser, type User } from '../identity.model.ts';
import type { Sessions } from '../sessions.ts';
import { sessionActor, type MfaState } from '../sign-in.service.ts';
import { codeBody, loginBody, passwordBody } from './identity.schemas.ts';
import { clearSessionCookie, headerOf, requireSession, sessionCookieOf, setSessionCookie, userAgentOf } from './route-helpers.ts';

/** GET /api/v1/auth/me */
export interface MeResponse {
  user: User;
  /** Echo in X-CSRF-Token on every write; null for API tokens, which need none. */
  csrfToken: string | null;
  mfaEnrolmentRequired: boolean;
  permissions: Permission[];
}

export interface LoginResponse {
  user: User;
  mfa: MfaState;
  csrfToken: string;
}

export interface AuthRouteDeps {
  service: IdentityService;
  sessions: Sessions;
  policy: AccessPolicy;
}

/** Sign-in, second factor, sign-out, who-am-I, MFA enrolment and password change. */
export function authRoutes(d: AuthRouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/login',
      permission: 'public',
      action: 'auth.login',
      body: loginBody,
      summary: 'Sign in with username and password; sets the session cookie. mfa tells what comes next',
      // The password hash is checked before the transaction: it must not hold the database.
      prepare: (ctx) => d.service.signIn.checkPassword(ctx.db, { ...ctx.body, ip: ctx.req.ip }),
      async handler(ctx): Promise<LoginResponse | CommittedFailure> {
        const res = await d.service.signIn.login(
          ctx.db,
          { ...ctx.body, ip: ctx.req.ip, userAgent: userAgentOf(ctx.req), presentedCookie: sessionCookieOf(ctx.req) },
          ctx.audit,
          ctx.prepared,
        );
        // The failure counter commits with the refusal.
        if (!res.ok) return new CommittedFailure(res.error);
        ctx.setActor(res.value.actor);
        setSessionCookie(ctx.reply, res.value.session);
        return { user: res.value.user, mfa: res.value.mfa, csrfToken: res.value.session.csrfToken };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      permission: 'public',
      action: 'auth.mfa',
      body: codeBody,
      summary: 'Give the second factor (TOTP or recovery code) after the password; send the login csrfToken as X-CSRF-Token',
      async handler(ctx): Promise<{ user: User; csrfToken: string } | CommittedFailure> {
        const res = await d.service.signIn.verifyMfa(
          ctx.db,
          {
            cookie: sessionCookieOf(ctx.req),
            csrfToken: headerOf(ctx.req, 'x-csrf-token'),
            code: ctx.body.code,
            ip: ctx.req.ip,
            userAgent: userAgentOf(ctx.req),
          },
          ctx.audit,
        );
        if (!res.ok) return new CommittedFailure(res.error);
        ctx.setActor(res.value.actor);
        setSessionCookie(ctx.reply, res.value.session);
        return { user: res.value.user, csrfToken: res.value.session.csrfToken };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/logout',
      // Public so that a half-finished sign-in (waiting for its second factor) can be abandoned too.
      permission: 'public',
      action: 'auth.logout',
      summary: 'Sign out: end the session and clear the cookie',
      async handler(ctx): Promise<undefined> {
        const id = await d.service.signIn.logout(ctx.db, sessionCookieOf(ctx.req));
        if (id) ctx.audit.detail({ session: id });
        clearSessionCookie(ctx.reply);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/auth/me',
      permission: 'authenticated',
      action: 'auth.me',
      allowDuringMfaEnrolment: true,
      summary: 'Who is signed in, their permissions and the CSRF token',
      async handler(ctx): Promise<MeResponse> {
        const row = await d.service.users.ofActor(ctx.db, ctx.actor);
        const a = ctx.actor;
        let csrfToken: string | null = null;
        if (a.type === 'user') csrfToken = (await requireSession(ctx.db, d.sessions, a)).csrfToken;
        const enrolling = a.type !== 'anonymous' && a.type !== 'system' && a.mfaEnrolmentRequired === true;
        return {
          user: toUser(row),
          csrfToken,
          mfaEnrolmentRequired: enrolling,
          permissions: enrolling ? [] : d.policy.forRole(row.role).filter((p) => d.policy.allows(a, p)),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/mfa/enrol/start',
      permission: 'authenticated',
      action: 'auth.mfa.enrol.start',
      allowDuringMfaEnrolment: true,
      summary: 'Start TOTP enrolment: a new secret, its otpauth:// URL and a QR code',
      async handler(ctx) {
        const s = await requireSession(ctx.db, d.sessions, ctx.actor);
        return d.service.mfa.start(ctx.db, s.userId, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/mfa/enrol/confirm',
      permission: 'authenticated',
      action: 'auth.mfa.enrol.confirm',
      allowDuringMfaEnrolment: true,
      body: codeBody,
      summary: 'Confirm TOTP enrolment with a first code; returns ten recovery codes, shown once',
      async handler(ctx): Promise<{ recoveryCodes: string[] }> {
        const s = await requireSession(ctx.db, d.sessions, ctx.actor);
        const res = await d.service.mfa.confirm(ctx.db, s, ctx.body.code, ctx.audit);
        ctx.setActor(sessionActor({ id: s.userId, username: s.username, role: s.role }, res.session.id, false));
        setSessionCookie(ctx.reply, res.session);
        return { recoveryCodes: res.recoveryCodes };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/password',
      permission: 'authenticated',
      action: 'auth.password.change',
      body: passwordBody,
      summary: 'Change one’s own password; other sessions end',
      async handler(ctx): Promise<undefined | CommittedFailure> {
        const s = await requireSession(ctx.db, d.sessions, ctx.actor);
        const res = await d.service.signIn.changePassword(ctx.db, s, { ...ctx.body, ip: ctx.req.ip }, ctx.audit);
        if (!res.ok) return new CommittedFailure(res.error);
        setSessionCookie(ctx.reply, res.value);
        return undefined;
      },
    }),
  ];
}
