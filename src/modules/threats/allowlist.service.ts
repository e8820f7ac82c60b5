import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import { canonicalTarget } from './cidr.ts';

export interface AllowlistEntry {
  /** Absent for entries from the configuration (they cannot be removed here). */
  id: string | null;
  cidr: string;
  reason: string;
  source: 'config' | 'console';
  createdAt: string | null;
  createdBy: string | null;
}

/**
 * Networks that are never banned (own networks, monitoring probes, customers' offices): from the configuration and
 * added at run time. Changing it rebuilds the IP index (events from these networks are not fed to scenarios).
 */
export class AllowlistService {
  constructor(private readonly deps: { clock: Clock; configAllowlist: readonly string[]; onChange: () => void }) {}

  async list(db: Db): Promise<AllowlistEntry[]> {
    const rows = await db.selectFrom('threats_allowlist').selectAll().orderBy('cidr').execute();
    return [
      ...this.deps.configAllowlist.map((cidr): AllowlistEntry => ({
        id: null,
        cidr,
        reason: 'configuration',
        source: 'config',
        createdAt: null,
        createdBy: null,
      })),
      ...rows.map((r): AllowlistEntry => ({
        id: r.id,
        cidr: r.cidr,
        reason: r.reason,
        source: 'console',
        createdAt: r.created_at,
        createdBy: r.created_by,
      })),
    ];
  }

  /** The table's networks (the configuration's are added by the caller). */
  async cidrs(db: Db): Promise<string[]> {
    return (await db.selectFrom('threats_allowlist').select('cidr').execute()).map((r) => r.cidr);
  }

  async add(db: Db, input: { cidr: string; reason: string }, actor: string, audit: AuditRecorder): Promise<AllowlistEntry> {
    const t = canonicalTarget(input.cidr);
    if (!t) throw invalid('invalid_target', `not an IP address or CIDR network: ${input.cidr}`);
    const clash = await db.selectFrom('threats_allowlist').select('id').where('cidr', '=', t.value).executeTakeFirst();
    if (clash) throw conflict('allowlist_exists', `${t.value} is already on the allowlist`);
    const row = {
      id: randomUUID(),
      cidr: t.value,
      reason: input.reason,
      created_at: this.deps.clock.now().toISOString(),
      created_by: actor,
    };
    await db.insertInto('threats_allowlist').values(row).execute();
    audit.target(t.value);
    audit.change({ type: 'threat_allowlist', id: row.id, after: row });
    this.deps.onChange();
    return { id: row.id, cidr: row.cidr, reason: row.reason, source: 'console', createdAt: row.created_at, createdBy: actor };
  }

  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const r = await db.selectFrom('threats_allowlist').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('allowlist_entry_not_found', `no allowlist entry ${id}`);
    await db.deleteFrom('threats_allowlist').where('id', '=', id).execute();
    audit.target(r.cidr);
    audit.change({ type: 'threat_allowlist', id, before: { ...r }, after: null });
    this.deps.onChange();
  }
}
