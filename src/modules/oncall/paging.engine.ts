import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { iso, type Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { NotificationRecord } from '../incidents/index.ts';
import type { Severity, SignalSink } from '../../core/signals.ts';
import { ChannelError } from './channels/channel.types.ts';
import { createChannel } from './channels/channels.ts';
import { whoIsOnCall } from './oncall-schedule.ts';
import type { OncallService, OncallUser } from './oncall.service.ts';
import { oncallStore, type EscalationRow, type OutboxRow, type PolicyRow } from './oncall.store.ts';
import type { PagingSetup, StoredLevel, StoredTarget } from './paging.policies.ts';

const DAY = 86_400_000;

/** What the engine needs from the incidents module (wired in app.ts). */
export interface IncidentTimeline {
  recordNotification(db: Db, n: NotificationRecord): Promise<number>;
  recordEscalation(
    db: Db,
    e: { incidentId: string; level: number; target: string; reason?: string | undefined },
  ): Promise<number>;
}

export interface PagingEngineDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  setup: PagingSetup;
  schedules: OncallService;
  timeline: IncidentTimeline;
  signals: SignalSink;
  lookupUsers(db: Db, ids: string[]): Promise<Map<string, OncallUser>>;
  /** Key for acknowledgement links (derived from the data directory's secrets key). */
  ackKey: Buffer;
  /** Base URL people reach Skjold at, for incident and acknowledgement links. */
  publicUrl: string;
  /** Seconds an acknowledgement link stays valid. */
  ackLinkSeconds: number;
  /** Poll interval for due escalations and pages (ms); new pages are also sent at once. */
  pollMs: number;
  /** Attempts per channel before falling back to the next one. */
  attemptsPerChannel: number;
  /** Timeout of one send (ms). */
  sendTimeoutMs: number;
  /** How long a page being sent is held before another engine may take it over (s). */
  leaseSeconds: number;
  /** Pages sent at the same time, at most. */
  concurrency: number;
}

type Outcome = { ok: true; receipt: string } | { ok: false; retryable: boolean; error: string };

/** A finished send, waiting to be recorded. */
interface Completion {
  row: OutboxRow;
  channelId: string | null;
  channelName: string;
  channels: string[];
  escState: string | null;
  outcome: Outcome;
  resolve(): void;
  reject(e: unknown): void;
}

/** One page's message to a channel, before it becomes a PageMessage. */
interface Recipient {
  ref: string;
  name: string;
  channels: string[];
}

/**
 * Escalation and the durable outbox. A page request (inside the transaction that opened the incident) starts an
 * escalation and writes the first level's pages to the outbox; acknowledgement or resolution (inside its own
 * transaction) stops the escalation and cancels pages not yet sent. The engine loop moves due escalations to their
 * next level and sends due pages: each is claimed with a lease, sent outside any transaction, then marked sent with its
 * receipt on the incident's timeline, or retried with backoff, or handed to the next channel. Everything it needs is in
 * the database, so a restart (even SIGKILL) continues where it stopped; the unique (escalation, round, level,
 * recipient) key means a level is never paged twice to the same person.
 */
export class PagingEngine {
  readonly #d: PagingEngineDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;
  readonly #inFlight = new Set<Promise<void>>();
  /** Pages this process queued already claimed (state sending), to send once their transaction has committed. */
  readonly #fresh = new Map<string, number>();
  /** Finished sends waiting to be recorded, in one transaction for all of them. */
  #done: Completion[] = [];
  #recording: Promise<void> | null = null;

  constructor(d: PagingEngineDeps) {
    this.#d = d;
  }

  // ---- inside other transactions ----

  /** A page was asked for: start the matching policy's escalation and queue its first level. */
  async onPage(
    db: Db,
    p: { incidentId: string; dedupKey: string; source: string; severity: Severity; summary: string },
  ): Promise<void> {
    const { setup, timeline, clock } = this.#d;
    const policy = await setup.policyFor(db, p);
    if (!policy) {
      // Never silent: the timeline says nobody was paged and why.
      await timeline.recordEscalation(db, {
        incidentId: p.incidentId,
        level: 0,
        target: 'nobody',
        reason: 'no escalation policy matches this incident and there is no default policy',
      });
      return;
    }
    // A reopened incident may still have an escalation going: keep it rather than page twice.
    const active = await db
      .selectFrom('oncall_escalations')
      .select('id')
      .where('incident_id', '=', p.incidentId)
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (active) return;
    const now = iso(clock.now());
    const esc: EscalationRow = {
      id: randomUUID(),
      incident_id: p.incidentId,
      policy_id: policy.id,
      summary: p.summary,
      severity: p.severity,
      level: 0,
      round: 0,
      state: 'active',
      next_at: null,
      stop_reason: null,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('oncall_escalations').values(esc).execute();
    await this.#fire(db, esc, policy, 0, 0);
    // Send as soon as this transaction commits. On SQLite the round queues behind it on the one connection; on
    // PostgreSQL the second kick catches a commit the first was too early for (the poll is the last resort).
    this.kick();
    setTimeout(() => this.kick(), 30).unref();
  }

  /** The incident was acknowledged or resolved: stop its escalation, cancel pages not yet sent. */
  async onSettled(db: Db, e: { incidentId: string; state: 'acknowledged' | 'resolved'; by: string }): Promise<void> {
    const now = iso(this.#d.clock.now());
    await db
      .updateTable('oncall_escalations')
      .set({ state: 'stopped', stop_reason: `${e.state} by ${e.by}`, next_at: null, updated_at: now })
      .where('incident_id', '=', e.incidentId)
      .where('state', '=', 'active')
      .execute();
    await db
      .updateTable('oncall_outbox')
      .set({ state: 'cancelled', last_error: `incident ${e.state}` })
      .where('incident_id', '=', e.incidentId)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Queue one level's pages and set when the next level is due. */
  async #fire(db: Db, esc: EscalationRow, policy: PolicyRow, round: number, level: number): Promise<void> {
    const { clock, timeline } = this.#d;
    const levels = JSON.parse(policy.levels) as StoredLevel[];
    const lv = levels[level];
    const now = clock.now();
    if (!lv) return;
    const recipients: Recipient[] = [];
    for (const t of lv.targets) {
      const r = await this.#recipients(db, t);
      recipients.push(...r.recipients);
      await timeline.recordEscalation(db, {
        incidentId: esc.incident_id,
        level: level + 1,
        target: r.describe,
        ...(r.reason ? { reason: r.reason } : round > 0 ? { reason: `repeat ${round} of the policy` } : {}),
      });
    }
    const sendHere = !this.#stopped;
    const seen = new Set<string>();
    for (const r of recipients) {
      if (seen.has(r.ref)) continue;
      seen.add(r.ref);
      const row: OutboxRow = {
        id: randomUUID(),
        escalation_id: esc.id,
        incident_id: esc.incident_id,
        round,
        level,
        recipient: r.ref,
        recipient_name: r.name,
        channels: JSON.stringify(r.channels),
        channel_index: 0,
        // With the engine in this process: claimed at birth, sent right after the commit with no claiming round trip
        // (if the process dies first, the lease runs out and any engine sends it). Without it (an API-only process):
        // pending, for the engine's next look.
        state: !r.channels.length ? 'failed' : sendHere ? 'sending' : 'pending',
        attempts: sendHere && r.channels.length ? 1 : 0,
        next_attempt_at: iso(now),
        lease_until: sendHere && r.channels.length ? iso(new Date(now.getTime() + this.#d.leaseSeconds * 1000)) : null,
        receipt: null,
        last_error: r.channels.length ? null : 'no channel to reach this person: set their contact channels',
        sent_channel: null,
        ack_used_at: null,
        created_at: iso(now),
        sent_at: null,
      };
      const inserted = await db
        .insertInto('oncall_outbox')
        .values(row)
        .onConflict((oc) => oc.columns(['escalation_id', 'round', 'level', 'recipient']).doNothing())
        .executeTakeFirst();
      if (sendHere && r.channels.length && Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) this.#fresh.set(row.id, 0);
      if (!r.channels.length && Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0)
        await timeline.recordNotification(db, {
          incidentId: esc.incident_id,
          channel: 'none',
          recipient: r.name,
          outcome: 'failed',
          error: row.last_error ?? undefined,
          level: level + 1,
        });
    }
    const next = new Date(now.getTime() + lv.escalateAfterSeconds * 1000);
    await db
      .updateTable('oncall_escalations')
      .set({ level, round, next_at: iso(next), updated_at: iso(now) })
      .where('id', '=', esc.id)
      .execute();
  }

  /** Who a target means now, with the channels to try for each. */
  async #recipients(db: Db, t: StoredTarget): Promise<{ recipients: Recipient[]; describe: string; reason?: string }> {
    const { setup, schedules, clock } = this.#d;
    if (t.type === 'channel') {
      const c = await db
        .selectFrom('oncall_channels')
        .select(['id', 'name', 'enabled'])
        .where('id', '=', t.id)
        .executeTakeFirst();
      if (!c) return { recipients: [], describe: `channel ${t.id}`, reason: 'the channel no longer exists' };
      if (c.enabled !== 1) return { recipients: [], describe: `channel ${c.name}`, reason: 'the channel is disabled' };
      return { recipients: [{ ref: `channel:${c.id}`, name: c.name, channels: [c.id] }], describe: `channel ${c.name}` };
    }
    let userId = t.id;
    let describe = '';
    if (t.type === 'schedule') {
      const row = await oncallStore.schedule(db, t.id);
      if (!row) return { recipients: [], describe: `schedule ${t.id}`, reason: 'the schedule no longer exists' };
      const at = clock.now();
      const rules = (await schedules.rules(db, [row], new Date(at.getTime() - 7 * DAY))).get(row.id);
      const shift = rules ? whoIsOnCall(rules, at) : null;
      if (!shift) return { recipients: [], describe: `schedule ${row.name}`, reason: 'nobody is on call on this schedule now' };
      userId = shift.userId;
      describe = `schedule ${row.name}: `;
    }
    const user = (await this.#d.lookupUsers(db, [userId])).get(userId);
    if (!user || user.disabled)
      return { recipients: [], describe: `${describe}user ${userId}`, reason: 'the user is disabled or gone' };
    const name = user.displayName || user.username;
    const contact = await setup.contactRow(db, user.id);
    let channels = contact ? (JSON.parse(contact.channels) as string[]) : [];
    const usable = await db
      .selectFrom('oncall_channels')
      .select(['id', 'kind', 'enabled', 'for_users'])
      .orderBy('name')
      .execute();
    const reachable = (c: { kind: string; enabled: number }): boolean =>
      c.enabled === 1 && (c.kind === 'email' ? !!contact?.email : c.kind === 'sms' ? !!contact?.phone : true);
    channels = channels.filter((id) => usable.some((c) => c.id === id && reachable(c)));
    if (!channels.length) channels = usable.filter((c) => c.for_users === 1 && reachable(c)).map((c) => c.id);
    return { recipients: [{ ref: `user:${user.id}`, name, channels }], describe: `${describe}${name}` };
  }

  // ---- the loop ----

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), this.#d.pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Stop the loop and wait for pages being sent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    while (this.#running) await this.#running;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Run a round soon (after the current one). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = new Promise<void>((r) => setImmediate(r))
      .then(() => this.runOnce())
      .catch((e: unknown) => this.#d.log.error({ err: e }, 'paging round failed'))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** One round: advance due escalations, then start sending due pages. Resolves when the sends are handed off. */
  async runOnce(): Promise<void> {
    await this.#sendFresh();
    await this.#advance();
    await this.#sendFresh();
    await this.#deliverDue();
  }

  /** Send the pages this process queued, once their transaction is visible (committed). */
  async #sendFresh(): Promise<void> {
    if (this.#fresh.size === 0) return;
    const room = this.#d.concurrency - this.#inFlight.size;
    if (room <= 0) return;
    // Taken out of the map before the first await: a concurrent round must not send the same page.
    const taken = [...this.#fresh.entries()].slice(0, room);
    for (const [id] of taken) this.#fresh.delete(id);
    const rows = await this.#d.database.db
      .selectFrom('oncall_outbox')
      .selectAll()
      .where(
        'id',
        'in',
        taken.map(([id]) => id),
      )
      .where('state', '=', 'sending')
      .execute();
    const found = new Set(rows.map((r) => r.id));
    for (const [id, seen] of taken) {
      // Not visible yet (its transaction is still open, PostgreSQL) or rolled back: look again a few times, then
      // leave it to the lease (a rolled-back page does not exist; a committed one is found by #deliverDue).
      if (!found.has(id) && seen < 40) this.#fresh.set(id, seen + 1);
    }
    for (const row of rows) this.#start(row);
    if (this.#fresh.size) setTimeout(() => this.kick(), 25).unref();
  }

  #start(row: OutboxRow): void {
    const p = this.#send(row)
      .catch((e: unknown) => this.#d.log.error({ err: e, page: row.id }, 'paging: send bookkeeping failed'))
      .finally(() => {
        this.#inFlight.delete(p);
        // A slot is free: anything still due goes now rather than at the next poll.
        this.kick();
      });
    this.#inFlight.add(p);
  }

  /** Wait until no page is being sent (tests). */
  async idle(): Promise<void> {
    while (this.#running || this.#inFlight.size) {
      if (this.#running) await this.#running;
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  async #advance(): Promise<void> {
    const { database, clock } = this.#d;
    const now = iso(clock.now());
    const due = await database.db
      .selectFrom('oncall_escalations')
      .selectAll()
      .where('state', '=', 'active')
      .where('next_at', '<=', now)
      .orderBy('next_at')
      .limit(100)
      .execute();
    for (const esc of due) {
      await database.db.transaction().execute(async (trx) => {
        // Claim the step: another engine (or an acknowledgement) may have moved this escalation meanwhile.
        const claimed = await trx
          .updateTable('oncall_escalations')
          .set({ updated_at: iso(clock.now()) })
          .where('id', '=', esc.id)
          .where('state', '=', 'active')
          .where('level', '=', esc.level)
          .where('round', '=', esc.round)
          .where('next_at', '=', esc.next_at)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return;
        const policy = await this.#d.setup.policyRow(trx, esc.policy_id);
        const levels = policy ? (JSON.parse(policy.levels) as StoredLevel[]) : [];
        let level = esc.level + 1;
        let round = esc.round;
        if (policy && level >= levels.length && round < policy.repeat) {
          level = 0;
          round++;
        }
        if (!policy || level >= levels.length) {
          const reason = policy
            ? 'nobody acknowledged; every level of the policy was paged'
            : 'the escalation policy was deleted';
          await trx
            .updateTable('oncall_escalations')
            .set({ state: 'exhausted', stop_reason: reason, next_at: null, updated_at: iso(clock.now()) })
            .where('id', '=', esc.id)
            .execute();
          await this.#d.timeline.recordEscalation(trx, {
            incidentId: esc.incident_id,
            level: esc.level + 1,
            target: 'end',
            reason,
          });
          return;
        }
        await this.#fire(trx, esc, policy, round, level);
      });
    }
  }

  async #deliverDue(): Promise<void> {
    const { database, clock } = this.#d;
    const room = this.#d.concurrency - this.#inFlight.size;
    if (room <= 0) return;
    const now = iso(clock.now());
    const due = await database.db
      .selectFrom('oncall_outbox')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('state', '=', 'sending'), eb('lease_until', '<', now)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(room)
      .execute();
    if (due.length === 0) return;
    // Claim them all in one transaction: each row only if nobody changed it since it was read.
    const lease = iso(new Date(clock.now().getTime() + this.#d.leaseSeconds * 1000));
    const claimed = await database.db.transaction().execute(async (trx) => {
      const mine: OutboxRow[] = [];
      for (const row of due) {
        const r = await trx
          .updateTable('oncall_outbox')
          .set({ state: 'sending', lease_until: lease, attempts: row.attempts + 1 })
          .where('id', '=', row.id)
          .where('state', '=', row.state)
          .where('attempts', '=', row.attempts)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1)
          mine.push({ ...row, state: 'sending', lease_until: lease, attempts: row.attempts + 1 });
      }
      return mine;
    });
    for (const row of claimed) this.#start(row);
  }

  async #send(row: OutboxRow): Promise<void> {
    const { database, clock, setup, log } = this.#d;
    const db = database.db;
    const channels = JSON.parse(row.channels) as string[];
    const channelId = channels[row.channel_index];
    const ch = channelId
      ? await db.selectFrom('oncall_channels').selectAll().where('id', '=', channelId).executeTakeFirst()
      : undefined;
    const esc = await db.selectFrom('oncall_escalations').selectAll().where('id', '=', row.escalation_id).executeTakeFirst();
    let outcome: Outcome;
    if (!ch || ch.enabled !== 1) outcome = { ok: false, retryable: false, error: 'the channel no longer exists or is disabled' };
    else {
      let email: string | undefined;
      let phone: string | undefined;
      if (row.recipient.startsWith('user:')) {
        const contact = await setup.contactRow(db, row.recipient.slice(5));
        email = contact?.email ?? undefined;
        phone = contact?.phone ?? undefined;
      }
      try {
        const channel = createChannel(setup.channelConfig(ch), { timeoutMs: this.#d.sendTimeoutMs, now: () => clock.now() });
        try {
          const r = await channel.send({
            id: row.id,
            incidentId: row.incident_id,
            summary: esc?.summary ?? 'incident',
            severity: (esc?.severity ?? 'major') as Severity,
            level: row.level + 1,
            incidentUrl: `${this.#d.publicUrl}/incidents/${encodeURIComponent(row.incident_id)}`,
            ackUrl: `${this.#d.publicUrl}/api/v1/ack/${this.ackToken(row.id)}`,
            recipient: { name: row.recipient_name, ...(email ? { email } : {}), ...(phone ? { phone } : {}) },
          });
          outcome = { ok: true, receipt: r.receipt };
        } finally {
          await channel.close?.();
        }
      } catch (e) {
        const retryable = e instanceof ChannelError ? e.retryable : false;
        outcome = { ok: false, retryable, error: (e as Error).message.slice(0, 500) };
        if (!(e instanceof ChannelError)) log.error({ err: e, page: row.id }, 'paging: channel failed unexpectedly');
      }
    }
    const channelName = ch ? `${ch.kind}:${ch.name}` : 'none';
    await new Promise<void>((resolve, reject) => {
      this.#done.push({
        row,
        channelId: ch?.id ?? null,
        channelName,
        channels,
        escState: esc?.state ?? null,
        outcome,
        resolve,
        reject,
      });
      this.#recordSoon();
    });
  }

  /** Record finished sends together: one transaction (one fsync) for every send that finished meanwhile. */
  #recordSoon(): void {
    if (this.#recording) return;
    this.#recording = new Promise<void>((r) => setImmediate(r))
      .then(async () => {
        while (this.#done.length) {
          const batch = this.#done.splice(0);
          try {
            await this.#d.database.db.transaction().execute(async (trx) => {
              for (const c of batch) await this.#complete(trx, c);
            });
            for (const c of batch) c.resolve();
          } catch (e) {
            for (const c of batch) c.reject(e);
          }
        }
      })
      .finally(() => {
        this.#recording = null;
        if (this.#done.length) this.#recordSoon();
      });
  }

  async #complete(trx: Db, c: Completion): Promise<void> {
    const { clock, timeline } = this.#d;
    const { row, outcome, channels, channelName } = c;
    const now = clock.now();
    // Still ours? A lease that ran out may have been taken over; then the other engine reports.
    const current = await trx.selectFrom('oncall_outbox').selectAll().where('id', '=', row.id).executeTakeFirst();
    if (!current || current.state !== 'sending' || current.attempts !== row.attempts) return;
    if (outcome.ok) {
      await trx
        .updateTable('oncall_outbox')
        .set({
          state: 'sent',
          receipt: outcome.receipt.slice(0, 500),
          sent_at: iso(now),
          sent_channel: c.channelId,
          lease_until: null,
        })
        .where('id', '=', row.id)
        .execute();
      await timeline.recordNotification(trx, {
        incidentId: row.incident_id,
        channel: channelName,
        recipient: row.recipient_name,
        outcome: 'sent',
        receipt: outcome.receipt.slice(0, 500),
        level: row.level + 1,
      });
      return;
    }
    if (outcome.retryable && row.attempts < this.#d.attemptsPerChannel) {
      // Backoff 1 s, 4 s, 16 s …: a channel that hiccups gets another go soon; a dead one falls back quickly.
      const wait = 1000 * 4 ** (row.attempts - 1);
      await trx
        .updateTable('oncall_outbox')
        .set({
          state: 'pending',
          next_attempt_at: iso(new Date(now.getTime() + wait)),
          last_error: outcome.error,
          lease_until: null,
        })
        .where('id', '=', row.id)
        .execute();
      return;
    }
    await timeline.recordNotification(trx, {
      incidentId: row.incident_id,
      channel: channelName,
      recipient: row.recipient_name,
      outcome: 'failed',
      error: outcome.error,
      level: row.level + 1,
    });
    const nextIndex = row.channel_index + 1;
    if (nextIndex < channels.length && c.escState !== 'stopped') {
      await trx
        .updateTable('oncall_outbox')
        .set({
          state: 'pending',
          channel_index: nextIndex,
          attempts: 0,
          next_attempt_at: iso(now),
          last_error: outcome.error,
          lease_until: null,
        })
        .where('id', '=', row.id)
        .execute();
      return;
    }
    await trx
      .updateTable('oncall_outbox')
      .set({ state: 'failed', last_error: outcome.error, lease_until: null, sent_channel: c.channelId })
      .where('id', '=', row.id)
      .execute();
    // A page that reached nobody is itself a deviation (P16); it lands on its own incident.
    await this.#d.signals.raise(trx, {
      source: 'oncall',
      dedupKey: `paging-failed:${row.recipient}`,
      status: 'firing',
      severity: 'critical',
      summary: `A page to ${row.recipient_name} failed on every channel: ${outcome.error}`.slice(0, 300),
      details: { incidentId: row.incident_id, page: row.id, level: row.level + 1 },
    });
  }

  // ---- acknowledgement links ----

  /** `<page id>.<expiry, unix s>.<HMAC-SHA256, base64url>`: signed, expiring; single use is kept on the page row. */
  ackToken(pageId: string): string {
    const exp = Math.floor(this.#d.clock.now().getTime() / 1000) + this.#d.ackLinkSeconds;
    return `${pageId}.${exp}.${this.#sign(`${pageId}.${exp}`)}`;
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#d.ackKey).update(`skjold-ack:${payload}`).digest('base64url');
  }

  /** The page a link belongs to, if the link is genuine and not expired (single use is checked by `useAckToken`). */
  async checkAckToken(db: Db, token: string): Promise<{ page: OutboxRow } | { error: 'invalid' | 'expired' | 'used' }> {
    const m = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return { error: 'invalid' };
    const [, id, exp, sig] = m as unknown as [string, string, string, string];
    const want = Buffer.from(this.#sign(`${id}.${exp}`));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return { error: 'invalid' };
    if (Number(exp) * 1000 < this.#d.clock.now().getTime()) return { error: 'expired' };
    const page = await db.selectFrom('oncall_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!page) return { error: 'invalid' };
    if (page.ack_used_at) return { error: 'used' };
    return { page };
  }

  /** Mark a link used; false when it was used meanwhile. */
  async useAckToken(db: Db, pageId: string): Promise<boolean> {
    const r = await db
      .updateTable('oncall_outbox')
      .set({ ack_used_at: iso(this.#d.clock.now()) })
      .where('id', '=', pageId)
      .where('ack_used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Pages of one incident, oldest first (the console's paging view). */
  async pagesOf(db: Db, incidentId: string): Promise<OutboxRow[]> {
    return db
      .selectFrom('oncall_outbox')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('created_at')
      .orderBy('level')
      .execute();
  }
}
