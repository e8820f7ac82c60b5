import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../../test/app.ts';
import { SESSION_COOKIE } from '../sessions.ts';

/** Parsed audit records of one action, oldest first (waits for group-committed reads to land). */
export async function auditOf(t: TestApp, action: string): Promise<Record<string, unknown>[]> {
  await t.audit.sink.flush();
  const rows = await t.database.db
    .selectFrom('audit_entries')
    .select('entry')
    .where('action', '=', action)
    .orderBy('seq')
    .execute();
  return rows.map((r) => JSON.parse(r.entry) as Record<string, unknown>);
}

/** Every audit record as text, to prove a secret never reached it. */
export async function allAuditText(t: TestApp): Promise<string> {
  await t.audit.sink.flush();
  const rows = await t.database.db.selectFrom('audit_entries').select('entry').orderBy('seq').execute();
  return rows.map((r) => r.entry).join('\n');
}

export function login(
  t: TestApp,
  username: string,
  password: string,
  opts: { ip?: string; cookie?: string } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    ...(opts.ip ? { remoteAddress: opts.ip } : {}),
    ...(opts.cookie ? { headers: { cookie: opts.cookie } } : {}),
  });
}

/** `skjold_session=<value>` from a response's Set-Cookie, for the next request's Cookie header. */
export function cookieFrom(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === SESSION_COOKIE);
  if (!c) throw new Error(`no session cookie in the answer (${res.statusCode} ${res.body})`);
  return `${SESSION_COOKIE}=${c.value}`;
}

export const MINUTE = 60_000;
