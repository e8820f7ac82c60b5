import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { SkjoldApp } from '../src/app.ts';
import type { Actor, Role } from '../src/core/auth.ts';
import { SESSION_COOKIE, totpCode, type LoginResponse, type User } from '../src/modules/identity/index.ts';

/**
 * Authorized callers of every role for route tests:
 *
 *   const admin = await signInAs(t, 'admin');                 // cookie + CSRF headers, MFA enrolled
 *   await t.app.inject({ method: 'POST', url, headers: admin.headers, payload });
 *   const bot = await createUserWithToken(t, 'operator');     // Authorization: Bearer skj_…
 *
 * TOTP codes come from the app's clock, so a ManualClock works. An MFA user can sign in about twice per 30 s
 * (a code is never accepted twice); advance a ManualClock by 30 s between further sign-ins.
 */

/** The actor test fixtures are created by (shows as `system:test` in the audit log). */
export const TEST_ACTOR: Actor = { type: 'system', id: 'system:test', name: 'test' };

/** A password that passes the policy. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestUser extends User {
  password: string;
}

/** Headers of a signed-in browser: send them on every request (the CSRF header matters for writes). */
// A type alias (not an interface) so it fits inject()'s header map.
export type SessionHeaders = {
  cookie: string;
  'x-csrf-token': string;
};

export interface TestSession {
  user: User;
  headers: SessionHeaders;
  /** The user's TOTP secret, when MFA is enrolled (to compute codes with `totpCode`). */
  totpSecret?: string | undefined;
  /** Recovery codes, when this sign-in enrolled MFA. */
  recoveryCodes?: string[] | undefined;
}

/** A new user of `role` with a unique username, made through the service (audited as system:test). */
export async function createTestUser(
  app: SkjoldApp,
  role: Role,
  opts: { username?: string; password?: string } = {},
): Promise<TestUser> {
  const password = opts.password ?? TEST_PASSWORD;
  const username = opts.username ?? `${role}-${randomBytes(4).toString('hex')}`;
  const user = await app.identity.service.createUser({ username, password, role }, TEST_ACTOR);
  return { ...user, password };
}

const sessionCookie = (res: LightMyRequestResponse): string | undefined =>
  res.cookies.find((c) => c.name === SESSION_COOKIE)?.value;

function expectOk(res: LightMyRequestResponse, what: string): void {
  if (res.statusCode >= 300) throw new Error(`${what} failed: ${res.statusCode} ${res.body}`);
}

/**
 * Sign in through the API, the way the console does: password, then the TOTP code if MFA is enrolled (pass
 * `totpSecret`), or enrolment if the role requires MFA and none is enrolled yet.
 */
export async function signIn(
  app: SkjoldApp,
  username: string,
  password: string,
  opts: { totpSecret?: string } = {},
): Promise<TestSession> {
  const login = await app.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  expectOk(login, `sign-in of ${username}`);
  const body = login.json<LoginResponse>();
  let cookie = sessionCookie(login);
  if (!cookie) throw new Error('sign-in set no session cookie');
  if (body.mfa === 'required') {
    if (!opts.totpSecret) throw new Error(`${username} has MFA enrolled: pass totpSecret`);
    // The current code may have been used already (e.g. by enrolment): then the next step's code, still in the window.
    for (const ahead of [0, 30_000]) {
      const code = totpCode(opts.totpSecret, new Date(app.clock.now().getTime() + ahead));
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa',
        headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf-token': body.csrfToken },
        payload: { code },
      });
      if (res.statusCode === 200) {
        const full = sessionCookie(res);
        if (!full) throw new Error('MFA step set no session cookie');
        const r = res.json<{ user: User; csrfToken: string }>();
        return {
          user: r.user,
          headers: { cookie: `${SESSION_COOKIE}=${full}`, 'x-csrf-token': r.csrfToken },
          totpSecret: opts.totpSecret,
        };
      }
      if (ahead > 0) expectOk(res, `MFA step of ${username}`);
    }
  }
  const headers: SessionHeaders = { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf-token': body.csrfToken };
  if (body.mfa === 'none') return { user: body.user, headers };
  // mfa === 'enrol': scan (read) the secret, confirm with a code, keep the recovery codes.
  const start = await app.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enrol/start', headers });
  expectOk(start, `MFA enrolment of ${username}`);
  const { secret } = start.json<{ secret: string }>();
  const confirm = await app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/mfa/enrol/confirm',
    headers,
    payload: { code: totpCode(secret, app.clock.now()) },
  });
  expectOk(confirm, `MFA confirmation of ${username}`);
  cookie = sessionCookie(confirm) ?? cookie;
  return {
    user: { ...body.user, mfaEnabled: true },
    headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf-token': body.csrfToken },
    totpSecret: secret,
    recoveryCodes: confirm.json<{ recoveryCodes: string[] }>().recoveryCodes,
  };
}

/** A new user of `role`, signed in (MFA enrolled when the role requires it). */
export async function signInAs(
  app: SkjoldApp,
  role: Role,
  opts: { username?: string } = {},
): Promise<TestSession & { password: string }> {
  const u = await createTestUser(app, role, opts);
  return { ...(await signIn(app, u.username, u.password)), password: u.password };
}

/**
 * A new user of `role` with an API token (all of the role's permissions unless `scopes` is given).
 * `headers` is `{ authorization: 'Bearer skj_…' }`.
 */
export async function createUserWithToken(
  app: SkjoldApp,
  role: Role,
  opts: { scopes?: string[]; expiresInDays?: number } = {},
): Promise<{ user: TestUser; token: string; tokenId: string; headers: { authorization: string } }> {
  const user = await createTestUser(app, role);
  const created = await app.identity.service.createToken(
    { username: user.username, name: `test ${role}`, scopes: opts.scopes, expiresInDays: opts.expiresInDays },
    TEST_ACTOR,
  );
  return { user, token: created.token, tokenId: created.id, headers: { authorization: `Bearer ${created.token}` } };
}
