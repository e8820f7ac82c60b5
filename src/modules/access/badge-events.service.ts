import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { BadgeEventsQuery } from './api/physical.schemas.ts';
import type { ParsedBadgeFile, ParsedBadgeRow, RejectedRow } from './badge-events.parse.ts';
import type { BadgeFinding } from './physical.model.ts';
import type { AccessBadgeEventsTable } from './physical.tables.ts';
import { grantInForce } from './sites.service.ts';

/** What one import did: every line is accepted, a duplicate of an event already held, or rejected with its reason. */
export interface BadgeImportResult {
  importId: string;
  format: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejectedRows: RejectedRow[];
  /** The lines stored as new events, and the lines that repeat an event already held (or earlier in the file). */
  acceptedLines: number[];
  duplicateLines: number[];
  /** Signals raised by the accepted events. */
  signals: { noGrant: number; leaver: number; denials: number };
}

export interface BadgeEventView {
  id: string;
  occurredAt: string;
  badge: string;
  siteId: string;
  siteName: string;
  doorId: string;
  doorName: string;
  result: string;
  personId: string | null;
  personName: string | null;
  findings: BadgeFinding[];
  importId: string;
  line: number;
}

export interface BadgeImportView {
  id: string;
  format: string;
  importedBy: string;
  importedAt: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejectedRows: RejectedRow[];
}

export interface BadgeEventsServiceDeps {
  clock: Clock;
  audit: AuditSink;
  signals: SignalSink;
  /** This many denials for one badge or at one door … */
  denialThreshold: number;
  /** … within this many minutes raise `access:badge-denials:…`. */
  denialWindowMinutes: number;
}

/** Rejected rows kept with an import (the answer lists them all). */
const KEPT_REJECTED = 1000;
/** Events a card system may stamp ahead of our clock before they count as "in the future". */
const CLOCK_SKEW_MS = 5 * 60_000;
const CHUNK = 200;

/** The identity of one badge event: the same time, badge, site, door and result imported twice is one event. */
export function badgeEventDigest(r: Pick<ParsedBadgeRow, 'occurredAt' | 'badge' | 'site' | 'door' | 'result'>): string {
  return createHash('sha256')
    .update([r.occurredAt, r.badge, r.site.toLowerCase(), r.door.toLowerCase(), r.result].join('\n'))
    .digest('hex');
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Badge events from the access-card system (issue 6 item 5; P3, P4). An import validates every row, resolves its
 * site, door and badge holder, stores each new event once (by digest), writes every event to the audit log as an
 * external access event in the same transaction, and raises signals: a granted use without a site grant in force
 * (`access:badge-no-grant:<siteId>:<personId|badge>`, unknown badges included), any use of a leaver's badge
 * (`access:badge-leaver:<badge>`) and repeated denials per badge or door (`access:badge-denials:…`).
 */
export class BadgeEventsService {
  constructor(private readonly deps: BadgeEventsServiceDeps) {}

  async import(db: Db, parsed: ParsedBadgeFile, importedBy: string): Promise<BadgeImportResult> {
    const now = this.deps.clock.now();
    const importId = randomUUID();
    const rejected: RejectedRow[] = [...parsed.rejected];
    const sites = await db.selectFrom('access_sites').select(['id', 'name']).execute();
    const doors = await db.selectFrom('access_doors').select(['id', 'name', 'site_id']).execute();
    const siteByName = new Map(sites.map((s) => [s.name.toLowerCase(), s]));
    const doorByName = new Map(doors.map((d) => [`${d.site_id}\n${d.name.toLowerCase()}`, d]));

    type Candidate = ParsedBadgeRow & { siteId: string; siteName: string; doorId: string; doorName: string; digest: string };
    const candidates: Candidate[] = [];
    for (const r of parsed.rows) {
      const text = `${r.occurredAt} ${r.badge} ${r.site} ${r.door} ${r.result}`;
      const site = siteByName.get(r.site.toLowerCase());
      if (!site) {
        rejected.push({ line: r.line, text, reason: `unknown site ${r.site}: register it under Sites, then import again` });
        continue;
      }
      const door = doorByName.get(`${site.id}\n${r.door.toLowerCase()}`);
      if (!door) {
        rejected.push({ line: r.line, text, reason: `site ${site.name} has no door ${r.door}: register it, then import again` });
        continue;
      }
      if (Date.parse(r.occurredAt) > now.getTime() + CLOCK_SKEW_MS) {
        rejected.push({ line: r.line, text, reason: `time ${r.occurredAt} is in the future` });
        continue;
      }
      const canonical = { ...r, site: site.name, door: door.name };
      candidates.push({
        ...canonical,
        siteId: site.id,
        siteName: site.name,
        doorId: door.id,
        doorName: door.name,
        digest: badgeEventDigest(canonical),
      });
    }

    // Duplicates: within the file, and events held already.
    const held = new Set<string>();
    for (const part of chunks([...new Set(candidates.map((c) => c.digest))])) {
      const rows = await db.selectFrom('access_badge_events').select('digest').where('digest', 'in', part).execute();
      for (const r of rows) held.add(r.digest);
    }
    const fresh: Candidate[] = [];
    const duplicateLines: number[] = [];
    for (const c of candidates) {
      if (held.has(c.digest)) duplicateLines.push(c.line);
      else {
        held.add(c.digest);
        fresh.push(c);
      }
    }

    // Who held each badge, and their site grants.
    const numbers = [...new Set(fresh.map((c) => c.badge))];
    const badges = new Map<string, { person_id: string; issued_at: string; revoked_at: string | null }>();
    for (const part of chunks(numbers)) {
      const rows = await db
        .selectFrom('access_badges')
        .select(['number', 'person_id', 'issued_at', 'revoked_at'])
        .where('number', 'in', part)
        .execute();
      for (const r of rows) badges.set(r.number, r);
    }
    const personIds = [...new Set([...badges.values()].map((b) => b.person_id))];
    const people = new Map<string, { id: string; name: string; status: string; left_at: string | null }>();
    const grants = new Map<string, Parameters<typeof grantInForce>[0][]>();
    for (const part of chunks(personIds)) {
      for (const p of await db
        .selectFrom('access_people')
        .select(['id', 'name', 'status', 'left_at'])
        .where('id', 'in', part)
        .execute())
        people.set(p.id, p);
      const gs = await db
        .selectFrom('access_site_grants')
        .select(['person_id', 'site_id', 'approved_at', 'starts_at', 'expires_at', 'ended_at', 'state'])
        .where('person_id', 'in', part)
        .execute();
      for (const g of gs) {
        const k = `${g.person_id}\n${g.site_id}`;
        grants.set(k, [...(grants.get(k) ?? []), g]);
      }
    }

    const created = now.toISOString();
    const rows: AccessBadgeEventsTable[] = [];
    const noGrant = new Map<string, { c: Candidate; personId: string | null; n: number }>();
    const leaver = new Map<string, { c: Candidate; personId: string; n: number }>();
    for (const c of fresh) {
      const badge = badges.get(c.badge);
      const person = badge ? people.get(badge.person_id) : undefined;
      const t = Date.parse(c.occurredAt);
      const findings: BadgeFinding[] = [];
      if (person && person.status === 'left' && (!person.left_at || Date.parse(person.left_at) <= t)) {
        findings.push('leaver');
        const e = leaver.get(c.badge);
        leaver.set(c.badge, { c: e?.c ?? c, personId: person.id, n: (e?.n ?? 0) + 1 });
      }
      if (c.result === 'granted') {
        // A revoked badge grants nothing from its revocation on. (Its issue date is when it was registered here, often
        // after the card system handed it out, so uses before it are still its holder's.)
        const badgeValid = badge && (!badge.revoked_at || Date.parse(badge.revoked_at) > t);
        const granted =
          badgeValid && person && (grants.get(`${person.id}\n${c.siteId}`) ?? []).some((g) => grantInForce(g, c.occurredAt));
        if (!granted) {
          findings.push('no-grant');
          const key = `${c.siteId}:${person?.id ?? c.badge}`;
          const e = noGrant.get(key);
          noGrant.set(key, { c: e?.c ?? c, personId: person?.id ?? null, n: (e?.n ?? 0) + 1 });
        }
      }
      rows.push({
        id: randomUUID(),
        occurred_at: c.occurredAt,
        badge: c.badge,
        site_id: c.siteId,
        site_name: c.siteName,
        door_id: c.doorId,
        door_name: c.doorName,
        result: c.result,
        person_id: person?.id ?? null,
        findings: JSON.stringify(findings),
        digest: c.digest,
        import_id: importId,
        line: c.line,
        created_at: created,
      });
    }
    for (const part of chunks(rows)) await db.insertInto('access_badge_events').values(part).execute();

    for (const [key, { c, personId, n }] of noGrant) {
      const who = personId ? (people.get(personId)?.name ?? personId) : `unknown badge ${c.badge}`;
      await this.deps.signals.raise(db, {
        source: 'access',
        dedupKey: `access:badge-no-grant:${key}`,
        status: 'firing',
        severity: 'major',
        summary: `${who} entered ${c.siteName} (${c.doorName}) without a site grant${n > 1 ? ` (${n} times)` : ''}`,
        details: { siteId: c.siteId, personId, badge: c.badge, door: c.doorName, first: c.occurredAt, count: n },
        occurredAt: new Date(c.occurredAt),
      });
    }
    for (const [badge, { c, personId, n }] of leaver) {
      const p = people.get(personId);
      await this.deps.signals.raise(db, {
        source: 'access',
        dedupKey: `access:badge-leaver:${badge}`,
        status: 'firing',
        severity: 'critical',
        summary: `badge ${badge} of ${p?.name ?? personId}, who has left, was used at ${c.siteName} (${c.doorName})${n > 1 ? ` ${n} times` : ''}`,
        details: { badge, personId, leftAt: p?.left_at, siteId: c.siteId, door: c.doorName, first: c.occurredAt, count: n },
        occurredAt: new Date(c.occurredAt),
      });
    }
    const denials = await this.signalDenials(db, rows);

    // P4: every use is logged, as an external access event in the import's transaction.
    for (const r of rows) {
      const person = r.person_id ? people.get(r.person_id) : undefined;
      await this.deps.audit.appendInTx(db, {
        actor: `badge:${r.badge}`,
        actorName: person?.name,
        action: `access.badge.${r.result}`,
        target: `access_door:${r.door_id}`,
        outcome: r.result === 'granted' ? 'allowed' : 'denied',
        detail: {
          occurredAt: r.occurred_at,
          site: r.site_name,
          siteId: r.site_id,
          door: r.door_name,
          personId: r.person_id,
          findings: JSON.parse(r.findings) as string[],
          importId,
          line: r.line,
        },
      });
    }

    const rejectedRows = rejected.sort((a, b) => a.line - b.line);
    await db
      .insertInto('access_badge_imports')
      .values({
        id: importId,
        format: parsed.format,
        imported_by: importedBy,
        imported_at: created,
        lines: parsed.lines,
        accepted: rows.length,
        duplicates: duplicateLines.length,
        rejected: rejectedRows.length,
        rejected_rows: JSON.stringify(rejectedRows.slice(0, KEPT_REJECTED)),
      })
      .execute();
    return {
      importId,
      format: parsed.format,
      lines: parsed.lines,
      accepted: rows.length,
      duplicates: duplicateLines.length,
      rejected: rejectedRows.length,
      rejectedRows,
      acceptedLines: fresh.map((c) => c.line),
      duplicateLines,
      signals: { noGrant: noGrant.size, leaver: leaver.size, denials },
    };
  }

  /**
   * Repeated denials: for each badge and each door with new denials, a run of `denialThreshold` denials within
   * the window raises one signal where the count first reaches the threshold; only runs reached by a new event
   * signal (so importing older events again, or more of the same run, does not repeat it).
   */
  private async signalDenials(db: Db, rows: AccessBadgeEventsTable[]): Promise<number> {
    const denied = rows.filter((r) => r.result === 'denied');
    if (denied.length === 0) return 0;
    const { denialThreshold: threshold } = this.deps;
    const windowMs = this.deps.denialWindowMinutes * 60_000;
    const fresh = new Set(denied.map((r) => r.id));
    let raised = 0;
    const groups: { by: 'badge' | 'door'; key: string }[] = [
      ...[...new Set(denied.map((r) => r.badge))].map((key) => ({ by: 'badge' as const, key })),
      ...[...new Set(denied.map((r) => r.door_id))].map((key) => ({ by: 'door' as const, key })),
    ];
    for (const g of groups) {
      const mine = denied.filter((r) => (g.by === 'badge' ? r.badge : r.door_id) === g.key);
      const times = mine.map((r) => Date.parse(r.occurred_at));
      const from = new Date(Math.min(...times) - windowMs).toISOString();
      const to = new Date(Math.max(...times) + windowMs).toISOString();
      const all = await db
        .selectFrom('access_badge_events')
        .select(['id', 'occurred_at', 'badge', 'site_id', 'site_name', 'door_name'])
        .where(g.by === 'badge' ? 'badge' : 'door_id', '=', g.key)
        .where('result', '=', 'denied')
        .where('occurred_at', '>=', from)
        .where('occurred_at', '<=', to)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute();
      let start = 0;
      let before = 0;
      for (let i = 0; i < all.length; i++) {
        const t = Date.parse((all[i] as (typeof all)[number]).occurred_at);
        while (Date.parse((all[start] as (typeof all)[number]).occurred_at) <= t - windowMs) start++;
        const count = i - start + 1;
        const e = all[i] as (typeof all)[number];
        if (count >= threshold && before < threshold && fresh.has(e.id)) {
          raised++;
          const row = rows.find((r) => r.id === e.id);
          if (row && !row.findings.includes('denials')) {
            row.findings = JSON.stringify([...(JSON.parse(row.findings) as string[]), 'denials']);
            await db.updateTable('access_badge_events').set({ findings: row.findings }).where('id', '=', e.id).execute();
          }
          await this.deps.signals.raise(db, {
            source: 'access',
            dedupKey: g.by === 'badge' ? `access:badge-denials:badge:${g.key}` : `access:badge-denials:door:${g.key}`,
            status: 'firing',
            severity: 'major',
            summary:
              g.by === 'badge'
                ? `badge ${e.badge} was denied ${count} times within ${this.deps.denialWindowMinutes} minutes at ${e.site_name}`
                : `door ${e.door_name} at ${e.site_name} denied ${count} badge uses within ${this.deps.denialWindowMinutes} minutes`,
            details: { by: g.by, key: g.key, siteId: e.site_id, count, at: e.occurred_at },
            occurredAt: new Date(e.occurred_at),
          });
        }
        before = count;
      }
    }
    return raised;
  }

  /** Badge events, newest first, filtered. */
  async list(db: Db, q: Partial<BadgeEventsQuery> = {}): Promise<BadgeEventView[]> {
    let query = db
      .selectFrom('access_badge_events as e')
      .leftJoin('access_people as p', 'p.id', 'e.person_id')
      .selectAll('e')
      .select('p.name as person_name');
    if (q.siteId) query = query.where('e.site_id', '=', q.siteId);
    if (q.doorId) query = query.where('e.door_id', '=', q.doorId);
    if (q.personId) query = query.where('e.person_id', '=', q.personId);
    if (q.badge) query = query.where('e.badge', '=', q.badge);
    if (q.result) query = query.where('e.result', '=', q.result);
    if (q.findings === 'true') query = query.where('e.findings', '<>', '[]');
    if (q.findings === 'false') query = query.where('e.findings', '=', '[]');
    if (q.from) query = query.where('e.occurred_at', '>=', new Date(q.from).toISOString());
    if (q.to) query = query.where('e.occurred_at', '<', new Date(q.to).toISOString());
    const rows = await query
      .orderBy('e.occurred_at', 'desc')
      .orderBy('e.id')
      .limit(q.limit ?? 500)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      occurredAt: r.occurred_at,
      badge: r.badge,
      siteId: r.site_id,
      siteName: r.site_name,
      doorId: r.door_id,
      doorName: r.door_name,
      result: r.result,
      personId: r.person_id,
      personName: r.person_name,
      findings: JSON.parse(r.findings) as BadgeFinding[],
      importId: r.import_id,
      line: Number(r.line),
    }));
  }

  /** Granted and denied uses per UTC day over the last `days` days (oldest first, days without events included). */
  async perDay(
    db: Db,
    q: { siteId?: string | undefined; days: number },
  ): Promise<{ day: string; granted: number; denied: number }[]> {
    const end = this.deps.clock.now();
    const start = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate()) - (q.days - 1) * 86_400_000);
    let query = db
      .selectFrom('access_badge_events')
      .select([sql<string>`substr(occurred_at, 1, 10)`.as('day'), 'result', (eb) => eb.fn.countAll<number>().as('n')])
      .where('occurred_at', '>=', start.toISOString());
    if (q.siteId) query = query.where('site_id', '=', q.siteId);
    const rows = await query.groupBy([sql`substr(occurred_at, 1, 10)`, 'result']).execute();
    const out: { day: string; granted: number; denied: number }[] = [];
    for (let i = 0; i < q.days; i++) {
      const day = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
      out.push({
        day,
        granted: Number(rows.find((r) => r.day === day && r.result === 'granted')?.n ?? 0),
        denied: Number(rows.find((r) => r.day === day && r.result === 'denied')?.n ?? 0),
      });
    }
    return out;
  }

  /** Recent imports with their counts and rejected rows, newest first. */
  async imports(db: Db, limit = 50): Promise<BadgeImportView[]> {
    const rows = await db.selectFrom('access_badge_imports').selectAll().orderBy('imported_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      format: r.format,
      importedBy: r.imported_by,
      importedAt: r.imported_at,
      lines: Number(r.lines),
      accepted: Number(r.accepted),
      duplicates: Number(r.duplicates),
      rejected: Number(r.rejected),
      rejectedRows: JSON.parse(r.rejected_rows) as RejectedRow[],
    }));
  }
}
