import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditSink } from '../../core/audit.ts';
import { type Clock, iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { SignalSink } from '../../core/signals.ts';
import { createLineParser } from '../threats/index.ts';
import { systemNotFound } from './accounts.errors.ts';
import { loadPeopleIndex } from './accounts.match.ts';
import type { AccessLoginEventsTable } from './accounts.tables.ts';

/**
 * Access events ingested into the audit log (issue 6 item 3; P11): sshd logins from auth logs (RFC 3164, RFC 5424 and
 * ISO syslog headers, read by the threats module's sshd parser) and control-panel logins as JSON lines
 * `{time, system, account, ip, outcome, method}`. Each event becomes an audit entry `access.login.succeeded|failed` by
 * `external:<system>:<account>` in the import's transaction, moves the account's last use forward, and is recorded once
 * (by digest). A successful login by a leaver, or by an account without a valid grant at that time, raises a signal.
 */

export interface LoginImportResult {
  lines: number;
  recorded: number;
  succeeded: number;
  failed: number;
  /** Events already recorded by an earlier import (same line, same system). */
  duplicates: number;
  /** Valid lines that are no login (other programs, session ends, pre-authentication noise). */
  ignored: number;
  rejected: { line: number; reason: string }[];
  /** Dedup keys of the signals raised. */
  signals: string[];
}

export interface LoginEventView {
  id: string;
  systemId: string;
  systemName: string;
  account: string;
  personId: string | null;
  personName: string | null;
  occurredAt: string;
  ip: string | null;
  method: string;
  outcome: 'succeeded' | 'failed';
  source: 'sshd' | 'panel';
  auditSeq: number | null;
}

export interface LoginEventsDeps {
  clock: Clock;
  audit: AuditSink;
  signals: SignalSink;
  timeZone: string;
}

/** Most lines one import may hold. */
export const MAX_LOGIN_LINES = 500_000;

const panelLine = z.strictObject({
  time: z.iso.datetime({ offset: true }),
  system: z.string().trim().min(1).max(253),
  account: z.string().trim().min(1).max(256),
  ip: z.union([z.ipv4(), z.ipv6()]).nullish(),
  outcome: z.enum(['succeeded', 'success', 'ok', 'failed', 'failure', 'denied']),
  method: z.string().trim().min(1).max(64).default('password'),
});

interface Pending {
  line: number;
  systemId: string;
  systemName: string;
  account: string;
  occurredAt: string;
  ip: string | null;
  method: string;
  outcome: 'succeeded' | 'failed';
  source: 'sshd' | 'panel';
  digest: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `Accepted publickey for …` → `publickey`; `Failed keyboard-interactive/pam for …` → `keyboard-interactive/pam`. */
function sshMethod(line: string): string {
  for (const word of ['Accepted ', 'Failed ']) {
    const i = line.indexOf(word);
    if (i === -1) continue;
    const end = line.indexOf(' for ', i + word.length);
    if (end !== -1 && end - i < 64) return line.slice(i + word.length, end);
  }
  return 'invalid-user';
}

export class LoginEventsService {
  constructor(private readonly d: LoginEventsDeps) {}

  /**
   * Import auth-log lines and control-panel JSON lines. `systemId` names the system of every sshd line (otherwise each
   * line's syslog host is looked up as a system name, also by its first label).
   */
  async importLines(db: Db, text: string, opts: { systemId?: string | undefined } = {}): Promise<LoginImportResult> {
    const now = this.d.clock.now();
    const systems = await db.selectFrom('access_systems').select(['id', 'name', 'classification']).execute();
    const byName = new Map(systems.map((s) => [s.name.toLowerCase(), s]));
    const byId = new Map(systems.map((s) => [s.id, s]));
    const fixed = opts.systemId ? byId.get(opts.systemId) : undefined;
    if (opts.systemId && !fixed) throw systemNotFound(opts.systemId);
    const lookup = (name: string) => {
      const n = name.toLowerCase();
      return byId.get(name) ?? byName.get(n) ?? byName.get(n.split('.')[0] ?? n);
    };
    const parse = createLineParser({ type: 'sshd', timeZone: this.d.timeZone, now: () => now.getTime() });
    const lines = text.split('\n');
    if (lines.length > MAX_LOGIN_LINES) lines.length = MAX_LOGIN_LINES;
    const result: LoginImportResult = {
      lines: 0,
      recorded: 0,
      succeeded: 0,
      failed: 0,
      duplicates: 0,
      ignored: 0,
      rejected: [],
      signals: [],
    };
    const pending: Pending[] = [];
    lines.forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const no = i + 1;
      if (line.trim() === '') return;
      result.lines++;
      if (line.trimStart().startsWith('{')) {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          result.rejected.push({ line: no, reason: 'not valid JSON' });
          return;
        }
        const p = panelLine.safeParse(value);
        if (!p.success) {
          const first = p.error.issues[0];
          result.rejected.push({ line: no, reason: `${first?.path.join('.') || 'line'}: ${first?.message ?? 'invalid'}` });
          return;
        }
        const sys = lookup(p.data.system);
        if (!sys) {
          result.rejected.push({ line: no, reason: `no system named ${JSON.stringify(p.data.system.slice(0, 80))}` });
          return;
        }
        const t = Date.parse(p.data.time);
        if (t > now.getTime() + 5 * 60_000) {
          result.rejected.push({ line: no, reason: `time ${p.data.time} is in the future` });
          return;
        }
        const outcome = ['succeeded', 'success', 'ok'].includes(p.data.outcome) ? 'succeeded' : 'failed';
        const e = {
          account: p.data.account.toLowerCase(),
          occurredAt: new Date(t).toISOString(),
          ip: p.data.ip ?? null,
          method: p.data.method,
        };
        pending.push({
          line: no,
          systemId: sys.id,
          systemName: sys.name,
          ...e,
          outcome,
          source: 'panel',
          digest: sha256(JSON.stringify(['panel', sys.id, e.account, e.occurredAt, e.ip, e.method, outcome])),
        });
        return;
      }
      const r = parse(line);
      if (!r.ok) {
        if (r.reason === 'ignored') result.ignored++;
        else result.rejected.push({ line: no, reason: 'not a readable syslog line (header, time or address)' });
        return;
      }
      const ev = r.event;
      if (ev.kind === 'preauth_close') {
        result.ignored++;
        return;
      }
      const sys = fixed ?? (ev.host ? lookup(ev.host) : undefined);
      if (!sys) {
        result.rejected.push({
          line: no,
          reason: ev.host
            ? `no system named ${JSON.stringify(ev.host.slice(0, 80))}`
            : 'the line names no host: pass ?system=<id>',
        });
        return;
      }
      const account = (ev.user ?? '').toLowerCase().slice(0, 256);
      if (account === '') {
        result.rejected.push({ line: no, reason: 'the login names no user' });
        return;
      }
      pending.push({
        line: no,
        systemId: sys.id,
        systemName: sys.name,
        account,
        occurredAt: new Date(ev.time).toISOString(),
        ip: ev.ip,
        method: ev.kind === 'invalid_user' ? 'invalid-user' : sshMethod(line),
        outcome: ev.kind === 'auth_success' ? 'succeeded' : 'failed',
        source: 'sshd',
        digest: sha256(`sshd\n${sys.id}\n${line.trim()}`),
      });
    });
    return this.record(db, pending, result, systems);
  }

  private async record(
    db: Db,
    pending: Pending[],
    result: LoginImportResult,
    systems: { id: string; name: string; classification: string }[],
  ): Promise<LoginImportResult> {
    const now = iso(this.d.clock.now());
    const known = new Set<string>();
    const digests = [...new Set(pending.map((p) => p.digest))];
    for (let i = 0; i < digests.length; i += 500) {
      const rows = await db
        .selectFrom('access_login_events')
        .select('digest')
        .where('digest', 'in', digests.slice(i, i + 500))
        .execute();
      for (const r of rows) known.add(r.digest);
    }
    const people = await loadPeopleIndex(db);
    const fresh: (Pending & { personId: string | null })[] = [];
    for (const p of pending) {
      if (known.has(p.digest)) {
        result.duplicates++;
        continue;
      }
      known.add(p.digest);
      fresh.push({ ...p, personId: people.match(p.account, null)?.id ?? null });
    }
    fresh.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : a.line - b.line));
    const rows: AccessLoginEventsTable[] = [];
    for (const e of fresh) {
      const id = randomUUID();
      const seq = await this.d.audit.appendInTx(db, {
        actor: `external:${e.systemName}:${e.account}`,
        actorName: e.account,
        action: e.outcome === 'succeeded' ? 'access.login.succeeded' : 'access.login.failed',
        target: `access-system:${e.systemId}`,
        ip: e.ip ?? undefined,
        outcome: e.outcome === 'succeeded' ? 'allowed' : 'denied',
        detail: {
          external: true,
          source: e.source,
          system: e.systemName,
          account: e.account,
          method: e.method,
          occurredAt: e.occurredAt,
          loginEventId: id,
          ...(e.personId ? { personId: e.personId } : {}),
        },
      });
      rows.push({
        id,
        system_id: e.systemId,
        account: e.account,
        person_id: e.personId,
        occurred_at: e.occurredAt,
        ip: e.ip,
        method: e.method,
        outcome: e.outcome,
        source: e.source,
        digest: e.digest,
        audit_seq: seq,
        recorded_at: now,
      });
      if (e.outcome === 'succeeded') result.succeeded++;
      else result.failed++;
    }
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('access_login_events')
        .values(rows.slice(i, i + 500))
        .execute();
    result.recorded = rows.length;

    // The account's last use moves forward to its latest successful login.
    const latest = new Map<string, { systemId: string; account: string; at: string }>();
    for (const e of fresh) {
      if (e.outcome !== 'succeeded') continue;
      const k = `${e.systemId}\n${e.account}`;
      const cur = latest.get(k);
      if (!cur || cur.at < e.occurredAt) latest.set(k, { systemId: e.systemId, account: e.account, at: e.occurredAt });
    }
    for (const l of latest.values())
      await db
        .updateTable('access_accounts')
        .set({ last_used_at: l.at })
        .where('system_id', '=', l.systemId)
        .where('account', '=', l.account)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', l.at)]))
        .execute();

    await this.signalLogins(db, fresh, people, systems, result);
    return result;
  }

  /** Successful logins by leavers (`access:leaver-login:<personId>`) or without a valid grant (`access:login-ungranted:<systemId>`). */
  private async signalLogins(
    db: Db,
    events: (Pending & { personId: string | null })[],
    people: Awaited<ReturnType<typeof loadPeopleIndex>>,
    systems: { id: string; name: string; classification: string }[],
    result: LoginImportResult,
  ): Promise<void> {
    const ok = events.filter((e) => e.outcome === 'succeeded');
    if (!ok.length) return;
    const systemIds = [...new Set(ok.map((e) => e.systemId))];
    const grants = await db
      .selectFrom('access_grants')
      .select(['person_id', 'system_id', 'starts_at', 'expires_at', 'ended_at'])
      .where('system_id', 'in', systemIds)
      .where('state', 'in', ['active', 'expired', 'revoked'])
      .execute();
    const grantedAt = (personId: string, systemId: string, at: string) =>
      grants.some(
        (g) =>
          g.person_id === personId &&
          g.system_id === systemId &&
          g.starts_at <= at &&
          (g.expires_at === null || g.expires_at > at) &&
          (g.ended_at === null || g.ended_at > at),
      );
    const leavers = new Map<string, typeof ok>();
    const ungranted = new Map<string, typeof ok>();
    for (const e of ok) {
      const p = e.personId ? people.byId.get(e.personId) : undefined;
      if (p && p.status === 'left' && (p.leftAt === null || p.leftAt <= e.occurredAt)) {
        leavers.set(p.id, [...(leavers.get(p.id) ?? []), e]);
      } else if (!p || !grantedAt(p.id, e.systemId, e.occurredAt)) {
        ungranted.set(e.systemId, [...(ungranted.get(e.systemId) ?? []), e]);
      }
    }
    for (const [pid, list] of leavers) {
      const p = people.byId.get(pid);
      const key = `access:leaver-login:${pid}`;
      const first = list[0];
      await this.d.signals.raise(db, {
        source: 'access',
        dedupKey: key,
        status: 'firing',
        severity: 'major',
        summary: `${p?.name ?? pid}, who has left, logged in ${list.length} time(s): ${list
          .slice(0, 5)
          .map((e) => `${e.account} on ${e.systemName} at ${e.occurredAt}${e.ip ? ` from ${e.ip}` : ''}`)
          .join('; ')}`,
        details: {
          personId: pid,
          logins: list.slice(0, 50).map((e) => ({ system: e.systemName, account: e.account, at: e.occurredAt, ip: e.ip })),
        },
        occurredAt: first ? new Date(first.occurredAt) : undefined,
      });
      result.signals.push(key);
    }
    for (const [sid, list] of ungranted) {
      const sys = systems.find((s) => s.id === sid);
      const key = `access:login-ungranted:${sid}`;
      const accounts = [...new Set(list.map((e) => e.account))];
      await this.d.signals.raise(db, {
        source: 'access',
        dedupKey: key,
        status: 'firing',
        severity: sys?.classification === 'other' ? 'minor' : 'major',
        summary: `logins without a grant on ${sys?.name ?? sid}: ${accounts.slice(0, 10).join(', ')}${accounts.length > 10 ? ' …' : ''}`,
        details: {
          systemId: sid,
          logins: list.slice(0, 50).map((e) => ({ account: e.account, at: e.occurredAt, ip: e.ip, method: e.method })),
        },
        occurredAt: list[0] ? new Date(list[0].occurredAt) : undefined,
      });
      result.signals.push(key);
    }
  }

  async list(
    db: Db,
    q: {
      systemId?: string | undefined;
      account?: string | undefined;
      outcome?: 'succeeded' | 'failed' | undefined;
      from?: string | undefined;
      to?: string | undefined;
      limit: number;
    },
  ): Promise<LoginEventView[]> {
    let query = db
      .selectFrom('access_login_events as e')
      .innerJoin('access_systems as s', 's.id', 'e.system_id')
      .leftJoin('access_people as p', 'p.id', 'e.person_id')
      .selectAll('e')
      .select(['s.name as system_name', 'p.name as person_name'])
      .orderBy('e.occurred_at', 'desc')
      .orderBy('e.id')
      .limit(q.limit);
    if (q.systemId) {
      if (!(await db.selectFrom('access_systems').select('id').where('id', '=', q.systemId).executeTakeFirst()))
        throw systemNotFound(q.systemId);
      query = query.where('e.system_id', '=', q.systemId);
    }
    if (q.account) query = query.where('e.account', '=', q.account.toLowerCase());
    if (q.outcome) query = query.where('e.outcome', '=', q.outcome);
    if (q.from) query = query.where('e.occurred_at', '>=', q.from);
    if (q.to) query = query.where('e.occurred_at', '<', q.to);
    return (await query.execute()).map((r) => ({
      id: r.id,
      systemId: r.system_id,
      systemName: r.system_name,
      account: r.account,
      personId: r.person_id,
      personName: r.person_name,
      occurredAt: r.occurred_at,
      ip: r.ip,
      method: r.method,
      outcome: r.outcome === 'succeeded' ? 'succeeded' : 'failed',
      source: r.source === 'panel' ? 'panel' : 'sshd',
      auditSeq: r.audit_seq,
    }));
  }
}
