import { Client } from 'ldapts';
import type { AuditRecorder } from '../../core/audit.ts';
import { type Clock, iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { SecretBox } from '../../core/secrets.ts';
import { ldapFailed, ldapPasswordRequired, ldapSourceNotFound, secretsUnavailable, systemNotFound } from './accounts.errors.ts';
import { type ParsedAccountList, accountListFromEntries } from './accounts.parse.ts';
import type { AccessLdapSourcesTable } from './accounts.tables.ts';

/**
 * Account lists pulled from LDAP or Active Directory (issue 6 item 3). A system may carry one source: URL (ldap:// or
 * ldaps://), bind DN and password (sealed at rest with the secrets key, never returned), base DN, filter, which
 * attributes hold the account, name, mail, groups and the disabled state, and which groups make an account
 * privileged. A pull reads the directory outside any transaction and then imports the result like an uploaded list.
 */

export interface LdapAttributes {
  account: string;
  name: string;
  mail: string;
  memberOf: string;
  /** Optional: `userAccountControl` (AD: bit 2 = disabled) or a true/false attribute. */
  disabled?: string | undefined;
}

export interface LdapSourceInput {
  url: string;
  bindDn: string;
  /** Omitted on a change: the stored password stays. */
  bindPassword?: string | undefined;
  baseDn: string;
  filter: string;
  attributes: LdapAttributes;
  privilegedGroups: string[];
  intervalMinutes: number | null;
}

export interface LdapSourceView extends Omit<LdapSourceInput, 'bindPassword'> {
  systemId: string;
  hasPassword: true;
  lastPullAt: string | null;
  lastResult: unknown;
  updatedAt: string;
}

const context = (systemId: string) => `access.ldap:${systemId}`;
/** Most entries one pull reads. */
const SIZE_LIMIT = 100_000;

function view(r: AccessLdapSourcesTable): LdapSourceView {
  return {
    systemId: r.system_id,
    url: r.url,
    bindDn: r.bind_dn,
    baseDn: r.base_dn,
    filter: r.filter,
    attributes: JSON.parse(r.attributes) as LdapAttributes,
    privilegedGroups: JSON.parse(r.privileged_groups) as string[],
    intervalMinutes: r.interval_minutes,
    hasPassword: true,
    lastPullAt: r.last_pull_at,
    lastResult: r.last_result ? (JSON.parse(r.last_result) as unknown) : null,
    updatedAt: r.updated_at,
  };
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
const all = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x));
/** `CN=Domain Admins,OU=Groups,DC=corp` → `domain admins` (a group may be named by its DN or its first RDN value). */
const rdnValue = (dn: string): string => {
  const eq = dn.indexOf('=');
  const comma = dn.indexOf(',');
  return (eq >= 0 ? dn.slice(eq + 1, comma > eq ? comma : undefined) : dn).trim().toLowerCase();
};

export class LdapSources {
  constructor(private readonly d: { clock: Clock; secrets: SecretBox | undefined }) {}

  private box(): SecretBox {
    if (!this.d.secrets) throw secretsUnavailable();
    return this.d.secrets;
  }

  async get(db: Db, systemId: string): Promise<LdapSourceView> {
    const r = await db.selectFrom('access_ldap_sources').selectAll().where('system_id', '=', systemId).executeTakeFirst();
    if (!r) throw ldapSourceNotFound(systemId);
    return view(r);
  }

  async put(db: Db, systemId: string, input: LdapSourceInput, rec: AuditRecorder): Promise<LdapSourceView> {
    const sys = await db.selectFrom('access_systems').select('id').where('id', '=', systemId).executeTakeFirst();
    if (!sys) throw systemNotFound(systemId);
    const prev = await db.selectFrom('access_ldap_sources').selectAll().where('system_id', '=', systemId).executeTakeFirst();
    if (!prev && !input.bindPassword) throw ldapPasswordRequired();
    const now = iso(this.d.clock.now());
    const row = {
      url: input.url,
      bind_dn: input.bindDn,
      bind_password: input.bindPassword ? this.box().seal(input.bindPassword, context(systemId)) : (prev?.bind_password ?? ''),
      base_dn: input.baseDn,
      filter: input.filter,
      attributes: JSON.stringify(input.attributes),
      privileged_groups: JSON.stringify(input.privilegedGroups),
      interval_minutes: input.intervalMinutes,
      updated_at: now,
    };
    if (prev) await db.updateTable('access_ldap_sources').set(row).where('system_id', '=', systemId).execute();
    else
      await db
        .insertInto('access_ldap_sources')
        .values({ system_id: systemId, ...row, last_pull_at: null, last_result: null })
        .execute();
    const { bindPassword, ...shown } = input;
    rec.target(`access-system:${systemId}`);
    rec.change({
      type: 'access-ldap-source',
      id: systemId,
      before: prev ? (view(prev) as unknown as Record<string, unknown>) : null,
      after: { ...shown, newBind: bindPassword !== undefined },
    });
    return this.get(db, systemId);
  }

  async remove(db: Db, systemId: string, rec: AuditRecorder): Promise<void> {
    const prev = await this.get(db, systemId);
    await db.deleteFrom('access_ldap_sources').where('system_id', '=', systemId).execute();
    rec.target(`access-system:${systemId}`);
    rec.change({ type: 'access-ldap-source', id: systemId, before: prev as unknown as Record<string, unknown>, after: null });
  }

  /** Read the directory now (no transaction held): the account list, or an `access_ldap_failed` error. */
  async fetch(db: Db, systemId: string): Promise<ParsedAccountList> {
    const r = await db.selectFrom('access_ldap_sources').selectAll().where('system_id', '=', systemId).executeTakeFirst();
    if (!r) throw ldapSourceNotFound(systemId);
    const src = view(r);
    let password: string;
    try {
      password = this.box().open(r.bind_password, context(systemId));
    } catch (e) {
      throw ldapFailed(`the bind password cannot be opened: ${(e as Error).message}`);
    }
    const client = new Client({ url: src.url, timeout: 30_000, connectTimeout: 10_000 });
    const a = src.attributes;
    let entries: Record<string, unknown>[];
    try {
      await client.bind(src.bindDn, password);
      const res = await client.search(src.baseDn, {
        scope: 'sub',
        filter: src.filter,
        attributes: [a.account, a.name, a.mail, a.memberOf, ...(a.disabled ? [a.disabled] : [])],
        sizeLimit: SIZE_LIMIT,
        paged: { pageSize: 500 },
      });
      entries = res.searchEntries;
    } catch (e) {
      throw ldapFailed(`LDAP ${src.url}: ${(e as Error).message}`);
    } finally {
      await client.unbind().catch(() => undefined);
    }
    const privileged = new Set(src.privilegedGroups.map((g) => g.trim().toLowerCase()));
    const lower = (o: Record<string, unknown>) => new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
    const rows = entries.map((e) => {
      const m = lower(e);
      const groups = all(m.get(a.memberOf.toLowerCase()));
      const isPrivileged = groups.some((g) => privileged.has(g.toLowerCase()) || privileged.has(rdnValue(g)));
      let disabled: unknown = false;
      if (a.disabled) {
        const v = first(m.get(a.disabled.toLowerCase()));
        disabled = a.disabled.toLowerCase() === 'useraccountcontrol' ? (Number(v) & 2) === 2 : (v ?? false);
      }
      return {
        account: first(m.get(a.account.toLowerCase())),
        name: first(m.get(a.name.toLowerCase())),
        email: first(m.get(a.mail.toLowerCase())),
        groups,
        privileged: isPrivileged,
        disabled,
      };
    });
    return accountListFromEntries(rows, this.d.clock.now());
  }

  /** Remember when a pull ran and what it did (shown with the source). */
  async recordPull(db: Db, systemId: string, result: unknown): Promise<void> {
    await db
      .updateTable('access_ldap_sources')
      .set({ last_pull_at: iso(this.d.clock.now()), last_result: JSON.stringify(result) })
      .where('system_id', '=', systemId)
      .execute();
  }

  /** Sources whose interval has passed since their last pull. */
  async due(db: Db): Promise<string[]> {
    const now = this.d.clock.now().getTime();
    const rows = await db
      .selectFrom('access_ldap_sources')
      .select(['system_id', 'interval_minutes', 'last_pull_at'])
      .where('interval_minutes', 'is not', null)
      .execute();
    return rows
      .filter((r) => !r.last_pull_at || Date.parse(r.last_pull_at) + Number(r.interval_minutes) * 60_000 <= now)
      .map((r) => r.system_id);
  }
}
