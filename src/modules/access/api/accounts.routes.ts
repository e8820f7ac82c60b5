import { actorRef } from '../../../core/auth.ts';
import type { AppError } from '../../../core/errors.ts';
import { toAppError } from '../../../core/http/problem.ts';
import { type AnyRoute, CommittedFailure, defineRoute } from '../../../core/http/routes.ts';
import { importTooLarge } from '../accounts.errors.ts';
import type { LdapSourceView, LdapSources } from '../accounts.ldap.ts';
import { type ParsedAccountList, parseAccountList } from '../accounts.parse.ts';
import type { AccountImportResult, AccountView, AccountsService, ImportView, TaskView } from '../accounts.service.ts';
import type { LoginEventView, LoginEventsService, LoginImportResult } from '../login-events.ts';
import {
  accountListBody,
  accountsQuery,
  closeTaskBody,
  discrepanciesQuery,
  idParams,
  importsQuery,
  ldapSourceBody,
  loginEventsQuery,
  loginImportQuery,
  loginLinesBody,
  noQuery,
  tasksQuery,
} from './accounts.schemas.ts';

/** Import routes whose bodies may reach `maxImportBytes` (the app may raise Fastify's body limit for them). */
export const ACCOUNT_IMPORT_ROUTES = [
  '/api/v1/access/systems/:id/accounts/import',
  '/api/v1/access/login-events/import',
] as const;

type Fetched = { ok: true; list: ParsedAccountList } | { ok: false; error: AppError };

/** Imported accounts, login events, LDAP sources and removal tasks (issue 6 item 3). */
export function accountsRoutes(d: {
  accounts: AccountsService;
  logins: LoginEventsService;
  ldap: LdapSources;
  maxImportBytes: number;
}): AnyRoute[] {
  const { accounts, logins, ldap, maxImportBytes } = d;
  const bounded = (body: unknown) => {
    const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : Buffer.byteLength(JSON.stringify(body), 'utf8');
    if (size > maxImportBytes) throw importTooLarge(maxImportBytes);
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/accounts/summary',
      permission: 'access.read',
      query: noQuery,
      summary: 'Per system: live accounts, discrepancies by kind (orphaned, leaver, ungranted, excessive) and the last import',
      async handler(ctx) {
        return { items: await accounts.summary(ctx.db) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/systems/:id/accounts',
      permission: 'access.read',
      params: idParams,
      query: accountsQuery,
      summary: 'The accounts of a system, each with its person, the grant that covers it and its discrepancy',
      async handler(ctx): Promise<{ items: AccountView[] }> {
        return {
          items: await accounts.listAccounts(ctx.db, { systemId: ctx.params.id, includeGone: ctx.query.gone === 'true' }),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/systems/:id/accounts/import',
      permission: 'access.import',
      action: 'access.accounts.import',
      params: idParams,
      query: noQuery,
      body: accountListBody,
      summary:
        'Import a system’s complete account list (CSV with a header row, or JSON): new accounts are added, absent ones marked gone, bad rows reported by line (or index); the same list twice answers `unchanged`',
      // Parsing runs before the request's transaction (reads nothing).
      async prepare(ctx): Promise<ParsedAccountList> {
        bounded(ctx.body);
        return Promise.resolve(parseAccountList(ctx.body, ctx.clock.now()));
      },
      async handler(ctx): Promise<AccountImportResult> {
        const r = await accounts.applyList(ctx.db, ctx.params.id, ctx.prepared, actorRef(ctx.actor), ctx.audit);
        ctx.audit.detail({ importId: r.importId, status: r.status, ...r.counts });
        ctx.status(r.status === 'applied' ? 201 : 200);
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/systems/:id/accounts/imports',
      permission: 'access.read',
      params: idParams,
      query: importsQuery,
      summary: 'Past account imports of a system, newest first, with their counts and rejected rows',
      async handler(ctx): Promise<{ items: ImportView[] }> {
        return { items: await accounts.listImports(ctx.db, ctx.params.id, ctx.query.limit) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/systems/:id/ldap',
      permission: 'access.read',
      params: idParams,
      query: noQuery,
      summary: 'The LDAP / Active Directory source of a system (the bind password is never shown)',
      async handler(ctx): Promise<LdapSourceView> {
        return ldap.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/access/systems/:id/ldap',
      permission: 'access.write',
      action: 'access.ldap-source.set',
      params: idParams,
      body: ldapSourceBody,
      summary: 'Set the LDAP / Active Directory source of a system (the bind password is sealed at rest)',
      async handler(ctx): Promise<LdapSourceView> {
        return ldap.put(ctx.db, ctx.params.id, ctx.body, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/systems/:id/accounts/pull',
      permission: 'access.import',
      action: 'access.accounts.pull',
      params: idParams,
      query: noQuery,
      summary:
        'Pull the account list from the system’s LDAP source now and import it (503 when the directory fails; nothing changes)',
      // The directory is read before the transaction: a slow server must not hold the database.
      async prepare(ctx): Promise<Fetched> {
        try {
          return { ok: true, list: await ldap.fetch(ctx.db, ctx.params.id) };
        } catch (e) {
          return { ok: false, error: toAppError(e) };
        }
      },
      async handler(ctx): Promise<AccountImportResult | CommittedFailure> {
        const f = ctx.prepared;
        if (!f.ok) {
          if (f.error.code === 'access_ldap_failed') await ldap.recordPull(ctx.db, ctx.params.id, { error: f.error.message });
          if (f.error.kind !== 'unavailable') throw f.error;
          return new CommittedFailure(f.error);
        }
        const r = await accounts.applyList(ctx.db, ctx.params.id, f.list, actorRef(ctx.actor), ctx.audit);
        await ldap.recordPull(ctx.db, ctx.params.id, { status: r.status, importId: r.importId, ...r.counts });
        ctx.audit.detail({ importId: r.importId, status: r.status, ...r.counts });
        ctx.status(r.status === 'applied' ? 201 : 200);
        return r;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/access/systems/:id/ldap',
      permission: 'access.write',
      action: 'access.ldap-source.delete',
      params: idParams,
      summary: 'Remove the LDAP source of a system (its imported accounts stay)',
      async handler(ctx): Promise<void> {
        await ldap.remove(ctx.db, ctx.params.id, ctx.audit);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/discrepancies',
      permission: 'access.read',
      query: discrepanciesQuery,
      summary: 'Accounts that do not match a grant, across systems: orphaned, leaver, ungranted, excessive',
      async handler(ctx): Promise<{ items: AccountView[] }> {
        return { items: await accounts.discrepancies(ctx.db, ctx.query.system) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/login-events/import',
      permission: 'access.import',
      action: 'access.login-events.import',
      query: loginImportQuery,
      body: loginLinesBody,
      summary:
        'Import login events (sshd auth log lines, control-panel JSON lines) into the audit log as external access events (P11); duplicates are recorded once, bad lines reported by number',
      async handler(ctx): Promise<LoginImportResult> {
        bounded(ctx.body);
        const r = await logins.importLines(ctx.db, ctx.body, { systemId: ctx.query.system });
        ctx.audit.detail({
          lines: r.lines,
          recorded: r.recorded,
          duplicates: r.duplicates,
          ignored: r.ignored,
          rejected: r.rejected.length,
        });
        ctx.status(r.recorded > 0 ? 201 : 200);
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/login-events',
      permission: 'access.read',
      query: loginEventsQuery,
      summary: 'Login events (the access log), newest first, by system, account, outcome and time',
      async handler(ctx): Promise<{ items: LoginEventView[] }> {
        const q = ctx.query;
        return {
          items: await logins.list(ctx.db, {
            systemId: q.system,
            account: q.account,
            outcome: q.outcome,
            from: q.from ? new Date(q.from).toISOString() : undefined,
            to: q.to ? new Date(q.to).toISOString() : undefined,
            limit: q.limit,
          }),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/tasks',
      permission: 'access.read',
      query: tasksQuery,
      summary: 'Removal tasks (open first): which account to remove where, why, and how each was closed',
      async handler(ctx): Promise<{ items: TaskView[] }> {
        return {
          items: await accounts.listTasks(ctx.db, { state: ctx.query.state, systemId: ctx.query.system, limit: ctx.query.limit }),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/tasks/:id/close',
      permission: 'access.write',
      action: 'access.task.close',
      params: idParams,
      body: closeTaskBody,
      summary: 'Close a removal task by hand, with the reason',
      async handler(ctx): Promise<TaskView> {
        return accounts.closeTask(ctx.db, ctx.params.id, ctx.body.reason, actorRef(ctx.actor), ctx.audit);
      },
    }),
  ];
}
