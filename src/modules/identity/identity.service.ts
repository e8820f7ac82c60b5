import { redact, type AuditChange, type AuditSink } from '../../core/audit.ts';
import { actorRef, type Actor } from '../../core/auth.ts';
import type { Database, Db } from '../../core/db/database.ts';
import { conflict, notFound } from '../../core/errors.ts';
import type { AuditNotes, IdentityContext } from './identity.context.ts';
import type { User } from './identity.model.ts';
import { usersStore } from './identity.store.ts';
import { MfaService } from './mfa.service.ts';
import { SignInService } from './sign-in.service.ts';
import { TokensService, type CreatedToken } from './tokens.service.ts';
import { parseUsername, UsersService, type CreateUserInput } from './users.service.ts';

export interface IdentityServiceDeps extends IdentityContext {
  database: Database;
  audit: AuditSink;
}

/**
 * The identity module's domain logic, without HTTP. Routes use the parts (`users`, `signIn`, `mfa`, `tokens`)
 * inside the request transaction; the CLI, tests and benchmarks use the helpers below, which open their own
 * transaction and write the audit record in it.
 */
export class IdentityService {
  readonly users: UsersService;
  readonly signIn: SignInService;
  readonly mfa: MfaService;
  readonly tokens: TokensService;

  constructor(private readonly deps: IdentityServiceDeps) {
    this.users = new UsersService(deps);
    this.signIn = new SignInService(deps);
    this.mfa = new MfaService(deps, this.users);
    this.tokens = new TokensService(deps);
  }

  /** Create a user, audited as `users.create` by `actor` (e.g. `{ type: 'system', id: 'cli:alice', name: 'alice' }`). */
  createUser(input: CreateUserInput, actor: Actor): Promise<User> {
    return this.#audited(actor, 'users.create', (trx, notes) => this.users.create(trx, input, notes));
  }

  /** Whether any enabled admin exists (`skjold start` tells a fresh install how to make the first one). */
  async hasActiveAdmin(): Promise<boolean> {
    return (await usersStore.countActiveAdmins(this.deps.database.db)) > 0;
  }

  /**
   * Create an admin from the command line. Refused (`admin_exists`) when an enabled admin exists, unless `force`
   * (break-glass, e.g. every admin lost their second factor), which the audit record notes.
   */
  createFirstAdmin(input: Omit<CreateUserInput, 'role'>, actor: Actor, opts: { force?: boolean } = {}): Promise<User> {
    return this.#audited(actor, 'users.create', async (trx, notes) => {
      const admins = await usersStore.countActiveAdmins(trx);
      if (admins > 0 && !opts.force)
        throw conflict('admin_exists', 'an admin exists already: sign in as that admin to create users (or use --force)');
      if (opts.force) notes.detail({ forced: true, existingAdmins: admins });
      return this.users.create(trx, { ...input, role: 'admin' }, notes);
    });
  }

  /** Create an API token for `username`, audited as `tokens.create` by `actor`. The plaintext token is in `token`. */
  createToken(
    input: { username: string; name: string; scopes?: readonly string[] | undefined; expiresInDays?: number | undefined },
    actor: Actor,
  ): Promise<CreatedToken> {
    return this.#audited(actor, 'tokens.create', async (trx, notes) => {
      const owner = await usersStore.byUsername(trx, parseUsername(input.username));
      if (!owner) throw notFound('user_not_found', `no user ${input.username}`);
      return this.tokens.create(trx, owner, input, actorRef(actor), undefined, notes);
    });
  }

  async #audited<T>(actor: Actor, action: string, fn: (trx: Db, notes: AuditNotes) => Promise<T>): Promise<T> {
    return this.deps.database.db.transaction().execute(async (trx) => {
      let target: string | undefined;
      let detail: Record<string, unknown> | undefined;
      const changes: AuditChange[] = [];
      const notes: AuditNotes = {
        target: (t) => void (target = t),
        change: (c) => void changes.push(redact(c) as AuditChange),
        detail: (d) => void (detail = { ...detail, ...d }),
      };
      const result = await fn(trx, notes);
      await this.deps.audit.appendInTx(trx, {
        actor: actorRef(actor),
        actorName: actor.type === 'system' ? actor.name : actor.type === 'anonymous' ? undefined : actor.username,
        action,
        target,
        outcome: 'allowed',
        changes: changes.length ? changes : undefined,
        detail,
      });
      return result;
    });
  }
}
