import { randomUUID } from 'node:crypto';
import type { Actor, Permission } from '../../core/auth.ts';
import { iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, forbidden, invalid, notFound, unauthenticated, type FieldError } from '../../core/errors.ts';
import { hashApiToken, isApiTokenShape, newApiToken } from './api-tokens.ts';
import type { AuditNotes, IdentityContext } from './identity.context.ts';
import { toToken, userRef, type Token } from './identity.model.ts';
import { tokensStore, type TokenRow, type UserRow } from './identity.store.ts';

export interface CreateTokenInput {
  name: string;
  /** Permissions the token may use; default: every permission of the owner's role. */
  scopes?: readonly string[] | undefined;
  /** Lifetime in days; default tokenDefaultDays, at most tokenMaxDays. */
  expiresInDays?: number | undefined;
}

/** A token just made: `token` is the only time the secret is shown. */
export interface CreatedToken extends Token {
  token: string;
}

const DAY = 86_400_000;
const NAME_MAX = 100;
const tokenRef = (id: string): string => `token:${id}`;

/** API tokens: scoped, hashed at rest, expiring, revocable; a token never outranks its owner's current role. */
export class TokensService {
  constructor(private readonly c: IdentityContext) {}

  /** Tokens of one user, or of everyone (`userId` undefined). */
  async list(db: Db, userId: string | undefined): Promise<Token[]> {
    return (await tokensStore.list(db, userId)).map(toToken);
  }

  /**
   * Make a token for `owner`. Scopes must be declared permissions held by the owner's role, and, when a token is
   * making the token, held by that token too (`limitTo`): a token can never mint a stronger one.
   */
  async create(
    db: Db,
    owner: UserRow,
    input: CreateTokenInput,
    createdBy: string,
    limitTo: readonly Permission[] | undefined,
    notes: AuditNotes,
  ): Promise<CreatedToken> {
    const { policy, config, clock } = this.c;
    if (owner.disabled === 1) throw conflict('user_disabled', `${owner.username} is disabled`);
    const name = input.name.normalize('NFC').trim();
    if (name.length === 0 || name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) {
      throw invalid('token_name_invalid', `a token name has 1–${NAME_MAX} printable characters`, [
        { path: 'name', message: 'invalid name' },
      ]);
    }
    const roleHas = new Set(policy.forRole(owner.role));
    const scopes =
      input.scopes === undefined
        ? [...roleHas].filter((p) => !limitTo || limitTo.includes(p))
        : [...new Set(input.scopes)].sort();
    const errors: FieldError[] = [];
    scopes.forEach((s, i) => {
      if (!policy.has(s as Permission)) errors.push({ path: `scopes.${i}`, message: `unknown permission ${s}` });
      else if (!roleHas.has(s as Permission))
        errors.push({ path: `scopes.${i}`, message: `the role ${owner.role} does not hold ${s}` });
      else if (limitTo && !limitTo.includes(s as Permission))
        errors.push({ path: `scopes.${i}`, message: `the token making this one does not hold ${s}` });
    });
    if (errors.length > 0)
      throw invalid('token_scope_invalid', 'a token may only hold permissions its owner’s role holds', errors);
    const days = input.expiresInDays ?? config.tokenDefaultDays;
    if (!Number.isInteger(days) || days < 1 || days > config.tokenMaxDays) {
      throw invalid('token_expiry_invalid', `a token lives 1–${config.tokenMaxDays} days`, [
        { path: 'expiresInDays', message: `1–${config.tokenMaxDays}` },
      ]);
    }
    const now = clock.now();
    const token = newApiToken();
    const row: TokenRow = {
      id: randomUUID(),
      token_hash: hashApiToken(token),
      user_id: owner.id,
      name,
      scopes: JSON.stringify(scopes),
      created_by: createdBy,
      created_at: iso(now),
      expires_at: iso(new Date(now.getTime() + days * DAY)),
      last_used_at: null,
      revoked_at: null,
    };
    await tokensStore.insert(db, row);
    const shown = toToken({ ...row, username: owner.username });
    notes.target(userRef(owner.id));
    notes.change({ type: 'token', id: row.id, before: null, after: { ...shown } });
    return { token, ...shown };
  }

  /**
   * Revoke a token. Its owner may (from a session; a token may revoke only itself), and so may whoever holds
   * tokens.revoke. Revoking twice is harmless.
   */
  async revoke(db: Db, id: string, actor: Actor, notes: AuditNotes): Promise<void> {
    const row = await tokensStore.byId(db, id);
    if (!row) throw notFound('token_not_found', 'no such token');
    notes.target(userRef(row.user_id));
    const own =
      (actor.type === 'user' && actor.userId === row.user_id) || (actor.type === 'token' && actor.id === tokenRef(row.id));
    if (!own && !this.c.policy.allows(actor, 'tokens.revoke'))
      throw forbidden('permission_denied', 'this action needs the permission tokens.revoke');
    if (row.revoked_at !== null) return;
    const now = iso(this.c.clock.now());
    await tokensStore.revoke(db, id, now);
    notes.change({ type: 'token', id, before: { revokedAt: null }, after: { revokedAt: now } });
  }

  /**
   * The actor behind a bearer token, or `token_invalid` (malformed, unknown, expired, revoked, owner disabled).
   * The role is the owner's current one, so a demotion takes effect on the next request.
   */
  async authenticate(db: Db, token: string): Promise<Actor> {
    const bad = unauthenticated('token_invalid', 'the API token is malformed, unknown, expired or revoked');
    if (!isApiTokenShape(token)) throw bad;
    const row = await tokensStore.byHash(db, hashApiToken(token));
    const now = this.c.clock.now();
    if (!row || row.revoked_at !== null || row.expires_at <= iso(now) || row.disabled === 1) throw bad;
    // last_used_at at minute precision: one write per token per minute, not per request.
    if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) >= 60_000)
      await tokensStore.touch(db, row.id, iso(now));
    return {
      type: 'token',
      id: tokenRef(row.id),
      userId: row.user_id,
      username: row.username,
      role: row.role,
      scopes: JSON.parse(row.scopes) as Permission[],
    };
  }
}
