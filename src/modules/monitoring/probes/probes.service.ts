import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.ts';
import type { Db } from '../../../core/db/database.ts';
import { AppError, conflict, type FieldError, invalid, notFound, unauthenticated } from '../../../core/errors.ts';
import type { SignalSink } from '../../../core/signals.ts';
import type { MonitorDefinition } from '../api/monitor.schemas.ts';
import type { MonitoringConfig } from '../monitoring.config.ts';
import type { AuditRecorder } from '../../../core/audit.ts';
import { type CreateProbeBody, type ProbeResultItem, type ProbeResultsBody, probeResultItem } from './probe.schemas.ts';
import { hashProbeToken, isProbeTokenShape, newProbeToken } from './probe-token.ts';
import { type ProbeRow, probesStore } from './probes.store.ts';

/** A registered probe as the API shows it (never its token). */
export interface Probe {
  id: string;
  name: string;
  location: string;
  pollSeconds: number;
  createdBy: string;
  createdAt: string;
  tokenRotatedAt: string | null;
  /** Last call of the probe (poll or results); null: never. */
  lastSeenAt: string | null;
  lastIp: string | null;
  version: string | null;
  /** Not heard from within its silence limit (its signal `probe:<id>` is firing). */
  silent: boolean;
  silentSince: string | null;
}

/** A probe just made or rotated: `token` is the only time the secret is shown. */
export interface ProbeWithToken extends Probe {
  token: string;
}

/** What a probe runs: the check definition without what only the engine needs (thresholds, severity, locations). */
export interface Assignment {
  id: string;
  definition: Omit<
    MonitorDefinition,
    'severity' | 'component' | 'publicComponent' | 'failureThreshold' | 'successThreshold' | 'locations' | 'quorum'
  >;
}

export interface Assignments {
  location: string;
  /** Seconds until the next poll. */
  pollSeconds: number;
  /** The server's clock: the probe stamps results in server time. */
  serverTime: string;
  /** Changes when the monitors change (also the ETag; send it as If-None-Match). */
  version: string;
  monitors: Assignment[];
}

/** What became of a batch: accepted results, and per skipped item why (a monitor no longer assigned, too old). */
export interface ResultsAnswer {
  batchId: string;
  /** The batch was delivered before (a retry): nothing recorded twice. */
  duplicate: boolean;
  accepted: number;
  skipped: { index: number; monitorId: string; reason: 'not_assigned' | 'too_old' }[];
}

const DAY = 86_400_000;
/** Definition fields only the engine uses: not sent to probes. */
const ENGINE_ONLY = ['severity', 'component', 'publicComponent', 'failureThreshold', 'successThreshold', 'locations', 'quorum'];
/** Results stamped further ahead than this (after the probe's clock correction) are refused. */
const FUTURE_SLACK_MS = 5 * 60_000;

export function toProbe(r: ProbeRow): Probe {
  return {
    id: r.id,
    name: r.name,
    location: r.location,
    pollSeconds: r.poll_seconds,
    createdBy: r.created_by,
    createdAt: r.created_at,
    tokenRotatedAt: r.token_rotated_at,
    lastSeenAt: r.last_seen_at,
    lastIp: r.last_ip,
    version: r.version,
    silent: r.silent === 1,
    silentSince: r.silent_since,
  };
}

const auditView = (p: Probe) => ({ id: p.id, name: p.name, location: p.location, pollSeconds: p.pollSeconds });

/** Remote probes: registration and tokens (admin side), and what a probe may fetch and report (probe side). */
export class ProbesService {
  constructor(private readonly d: { clock: Clock; signals: SignalSink; config: MonitoringConfig }) {}

  async list(db: Db): Promise<Probe[]> {
    return (await probesStore.list(db)).map(toProbe);
  }

  async get(db: Db, id: string): Promise<Probe> {
    const r = await probesStore.get(db, id);
    if (!r) throw notFound('probe_not_found', `no probe ${id}`);
    return toProbe(r);
  }

  async create(db: Db, input: CreateProbeBody, actorRef: string, audit: AuditRecorder): Promise<ProbeWithToken> {
    const clash = await db
      .selectFrom('monitoring_probes')
      .select(['name', 'location'])
      .where((eb) => eb.or([eb('name', '=', input.name), eb('location', '=', input.location)]))
      .executeTakeFirst();
    if (clash) {
      throw clash.location === input.location
        ? conflict('probe_location_taken', `a probe already runs at ${input.location}`)
        : conflict('probe_name_taken', `a probe is already named ${input.name}`);
    }
    const id = randomUUID();
    const token = newProbeToken();
    await db
      .insertInto('monitoring_probes')
      .values({
        id,
        name: input.name,
        location: input.location,
        token_hash: hashProbeToken(token),
        poll_seconds: input.pollSeconds ?? this.d.config.probePollSeconds,
        created_by: actorRef,
        created_at: this.d.clock.now().toISOString(),
        token_rotated_at: null,
        last_seen_at: null,
        last_ip: null,
        version: null,
        silent: 0,
        silent_since: null,
      })
      .execute();
    const p = await this.get(db, id);
    audit.target(`probe:${id}`);
    audit.change({ type: 'probe', id, before: null, after: auditView(p) });
    return { ...p, token };
  }

  /** A new token; the old one stops working at once. */
  async rotate(db: Db, id: string, audit: AuditRecorder): Promise<ProbeWithToken> {
    await this.get(db, id);
    const token = newProbeToken();
    const now = this.d.clock.now().toISOString();
    await db
      .updateTable('monitoring_probes')
      .set({ token_hash: hashProbeToken(token), token_rotated_at: now })
      .where('id', '=', id)
      .execute();
    const p = await this.get(db, id);
    audit.target(`probe:${id}`);
    audit.change({ type: 'probe', id, before: { tokenRotatedAt: null }, after: { tokenRotatedAt: now } });
    return { ...p, token };
  }

  /** Delete a probe (its token stops working); a silent probe's deviation ends with it. */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const p = await this.get(db, id);
    if (p.silent) {
      await this.d.signals.raise(db, {
        source: 'monitoring',
        dedupKey: `probe:${id}`,
        status: 'resolved',
        severity: this.d.config.probeSilentSeverity,
        summary: `Probe ${p.name} (${p.location}) was deleted while silent`,
        details: { probeId: id, location: p.location, reason: 'deleted' },
      });
    }
    await db.deleteFrom('monitoring_probe_batches').where('probe_id', '=', id).where('consumed_at', 'is not', null).execute();
    await db.deleteFrom('monitoring_probes').where('id', '=', id).execute();
    audit.target(`probe:${id}`);
    audit.change({ type: 'probe', id, before: auditView(p), after: null });
  }

  /** The probe presenting this token, noted as seen now; anything wrong is one 401 (no hint which part). */
  async authenticate(db: Db, token: string | undefined, from: { ip: string; version?: string | undefined }): Promise<ProbeRow> {
    const row = token && isProbeTokenShape(token) ? await probesStore.byTokenHash(db, hashProbeToken(token)) : undefined;
    if (!row) throw unauthenticated('probe_token_invalid', 'send a valid probe token in the X-Skjold-Probe-Token header');
    const now = this.d.clock.now().toISOString();
    await db
      .updateTable('monitoring_probes')
      .set({ last_seen_at: now, last_ip: from.ip.slice(0, 64), ...(from.version ? { version: from.version } : {}) })
      .where('id', '=', row.id)
      .execute();
    return { ...row, last_seen_at: now };
  }

  /** Active monitors run from the probe's location (heartbeats are never assigned: they are pushed to Skjold). */
  async assignments(db: Db, probe: ProbeRow): Promise<Assignments> {
    const rows = await this.#assigned(db, probe.location);
    const monitors = rows.map((r): Assignment => {
      const definition = JSON.parse(r.definition) as Record<string, unknown>;
      for (const k of ENGINE_ONLY) delete definition[k];
      return { id: r.id, definition: definition as Assignment['definition'] };
    });
    const version = createHash('sha256')
      .update(JSON.stringify([probe.poll_seconds, monitors]))
      .digest('base64url')
      .slice(0, 27);
    return {
      location: probe.location,
      pollSeconds: probe.poll_seconds,
      serverTime: this.d.clock.now().toISOString(),
      version,
      monitors,
    };
  }

  async #assigned(db: Db, location: string): Promise<{ id: string; definition: string }[]> {
    // Location names cannot hold LIKE wildcards or quotes: the text match narrows, the JSON check decides.
    const rows = await db
      .selectFrom('monitoring_monitors')
      .select(['id', 'definition', 'locations'])
      .where('paused', '=', 0)
      .where('type', '!=', 'heartbeat')
      .where('locations', 'like', `%"${location}"%`)
      .orderBy('id')
      .execute();
    return rows.filter((r) => (JSON.parse(r.locations) as string[]).includes(location));
  }

  /**
   * Take a batch of results: every item is validated first (one bad item refuses the batch with its exact path, and
   * nothing is written); items for monitors no longer assigned to the probe, or older than a day, are skipped with a
   * reason (a probe catching up after an outage is not an error). Accepted results wait in the inbox for the engine.
   */
  async acceptResults(db: Db, probe: ProbeRow, body: ProbeResultsBody): Promise<ResultsAnswer> {
    const now = this.d.clock.now().getTime();
    const errors: FieldError[] = [];
    const items: ProbeResultItem[] = [];
    body.results.forEach((raw, i) => {
      const r = probeResultItem.safeParse(raw);
      if (!r.success) {
        for (const x of r.error.issues)
          errors.push({ path: ['body', 'results', String(i), ...x.path.map(String)].join('.'), message: x.message });
      } else if (Date.parse(r.data.at) > now + FUTURE_SLACK_MS) {
        errors.push({ path: `body.results.${i}.at`, message: 'at is more than 5 minutes ahead of the server’s clock' });
      } else items.push({ ...r.data, at: new Date(r.data.at).toISOString() });
    });
    if (errors.length > 0) {
      throw invalid(
        'validation_failed',
        `${errors.length} problem(s) in the results; nothing was recorded`,
        errors.slice(0, 100),
      );
    }
    const seen = await db
      .selectFrom('monitoring_probe_batches')
      .select('id')
      .where('probe_id', '=', probe.id)
      .where('batch_id', '=', body.batchId)
      .executeTakeFirst();
    if (seen) return { batchId: body.batchId, duplicate: true, accepted: 0, skipped: [] };
    const pending = await db
      .selectFrom('monitoring_probe_batches')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('consumed_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(pending.n) >= this.d.config.probeInboxMax) {
      throw new AppError('unavailable', 'probe_inbox_full', 'too many results are waiting for the engine; retry later', {
        retryAfter: 30,
      });
    }
    const assigned = new Set((await this.#assigned(db, probe.location)).map((r) => r.id));
    const skipped: ResultsAnswer['skipped'] = [];
    const accepted: ProbeResultItem[] = [];
    items.forEach((r, index) => {
      if (!assigned.has(r.monitorId)) skipped.push({ index, monitorId: r.monitorId, reason: 'not_assigned' });
      else if (Date.parse(r.at) < now - DAY) skipped.push({ index, monitorId: r.monitorId, reason: 'too_old' });
      else accepted.push(r);
    });
    accepted.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    // Recorded even when empty: a retry of this batch is then recognised.
    await db
      .insertInto('monitoring_probe_batches')
      .values({
        id: randomUUID(),
        probe_id: probe.id,
        batch_id: body.batchId,
        location: probe.location,
        received_at: new Date(now).toISOString(),
        count: accepted.length,
        items: JSON.stringify(accepted),
        consumed_at: accepted.length === 0 ? new Date(now).toISOString() : null,
      })
      .onConflict((oc) => oc.columns(['probe_id', 'batch_id']).doNothing())
      .execute();
    return { batchId: body.batchId, duplicate: false, accepted: accepted.length, skipped };
  }
}
