import type { AuditChange, AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { AnyRoute } from '../../core/http/routes.ts';
import type { Logger } from '../../core/logger.ts';
import { type SecretBox, createSecretBox } from '../../core/secrets.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { AccessConfig } from './access.config.ts';
import { LdapSources } from './accounts.ldap.ts';
import { AccountsService } from './accounts.service.ts';
import './accounts.tables.ts';
import { accountsRoutes } from './api/accounts.routes.ts';
import { LoginEventsService } from './login-events.ts';

export { ACCOUNT_IMPORT_ROUTES } from './api/accounts.routes.ts';
export { openRemovalTask } from './accounts.service.ts';
export type { AccountView, AccountImportResult, Discrepancy, RemovalTaskInput, TaskView } from './accounts.service.ts';
export type { LoginEventView, LoginImportResult } from './login-events.ts';

export interface AccountsAreaDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: AccessConfig;
  audit: AuditSink;
  signals: SignalSink;
  /** Where `secrets.key` lives (LDAP bind passwords are sealed with it); without it LDAP sources cannot be used. */
  dataDir?: string | undefined;
  /** Zone for auth-log times without one (RFC 3164); default Europe/Copenhagen. */
  timeZone?: string | undefined;
}

/** The accounts area of the access module: services, routes and its sweeps. */
export interface AccountsArea {
  service: AccountsService;
  logins: LoginEventsService;
  ldap: LdapSources;
  routes(): AnyRoute[];
  /** Periodic work: scheduled LDAP pulls, then the comparison of every system (a new or ended grant resolves or raises). */
  sweeps: { what: string; run: () => Promise<unknown> }[];
}

export function createAccountsArea(deps: AccountsAreaDeps): AccountsArea {
  const { database, clock, audit, signals, log } = deps;
  let box: SecretBox | undefined;
  const secrets: SecretBox | undefined = deps.dataDir
    ? {
        get keyId() {
          return (box ??= createSecretBox(deps.dataDir ?? '')).keyId;
        },
        seal: (p, c) => (box ??= createSecretBox(deps.dataDir ?? '')).seal(p, c),
        open: (s, c) => (box ??= createSecretBox(deps.dataDir ?? '')).open(s, c),
      }
    : undefined;
  const service = new AccountsService({ clock, audit, signals });
  const logins = new LoginEventsService({ clock, audit, signals, timeZone: deps.timeZone ?? 'Europe/Copenhagen' });
  const ldap = new LdapSources({ clock, secrets });

  const pullDue = async () => {
    for (const systemId of await ldap.due(database.db)) {
      try {
        const list = await ldap.fetch(database.db, systemId);
        await database.db.transaction().execute(async (trx) => {
          const changes: AuditChange[] = [];
          const r = await service.applyList(trx, systemId, list, 'system:access', {
            target: () => undefined,
            change: (c) => void changes.push(c),
          });
          await ldap.recordPull(trx, systemId, { status: r.status, importId: r.importId, ...r.counts });
          await audit.appendInTx(trx, {
            actor: 'system:access',
            action: 'access.accounts.pull',
            target: `access-system:${systemId}`,
            outcome: 'allowed',
            changes: changes.length ? changes : undefined,
            detail: { scheduled: true, importId: r.importId, status: r.status, ...r.counts },
          });
        });
      } catch (err) {
        log.warn({ err, systemId }, 'access: scheduled LDAP pull failed');
        await ldap.recordPull(database.db, systemId, { error: (err as Error).message });
      }
    }
  };

  return {
    service,
    logins,
    ldap,
    routes: () => accountsRoutes({ accounts: service, logins, ldap, maxImportBytes: deps.config.maxImportBytes }),
    sweeps: [
      { what: 'scheduled LDAP pulls', run: pullDue },
      { what: 'account comparison', run: () => database.db.transaction().execute((trx) => service.evaluate(trx)) },
    ],
  };
}
