import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { iso, type Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import type { Severity } from '../../core/signals.ts';
import { CHANNEL_KINDS, SECRET_FIELDS, channelConfigSchema, type ChannelConfig, E164 } from './channels/channel.schemas.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { ChannelRow, ContactRow, PolicyRow } from './oncall.store.ts';
import type { OncallUser } from './oncall.service.ts';

/**
 * Escalation policies, notification channels and people's contact details: the set-up paging works from. Everything
 * refers to other things by name (users by username) in the API and in apply files, and by id in the database.
 */

const SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, minor: 1, major: 2, critical: 3 };

const name = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(100)
  .regex(/^[^\u0000-\u001f]+$/, 'no control characters');

export const targetSchema = z.union([
  z.strictObject({ user: z.string().trim().min(1).max(100) }),
  z.strictObject({ schedule: z.string().trim().min(1).max(100) }),
  z.strictObject({ channel: z.string().trim().min(1).max(100) }),
]);
export type TargetInput = z.infer<typeof targetSchema>;

export const policyInputSchema = z.strictObject({
  name,
  description: z.string().max(1000).default(''),
  /** Levels in order; each pages its targets, then waits `escalateAfterSeconds` for an acknowledgement. */
  levels: z
    .array(
      z.strictObject({
        targets: z.array(targetSchema).min(1, 'a level pages at least one target').max(20),
        escalateAfterSeconds: z.number().int().min(1).max(86_400).default(300),
      }),
    )
    .min(1, 'a policy has at least one level')
    .max(10),
  /** Run the whole policy this many more times when nobody acknowledged after the last level. */
  repeat: z.number().int().min(0).max(10).default(0),
  /** Which incidents this policy pages for; a policy without criteria matches everything. */
  match: z
    .strictObject({
      sources: z.array(z.string().trim().min(1).max(128)).max(20).optional(),
      minSeverity: z.enum(SEVERITIES).optional(),
      dedupKeyPrefix: z.string().min(1).max(512).optional(),
    })
    .default({}),
  /** Used when no other policy matches (one at most). */
  isDefault: z.boolean().default(false),
});
export type PolicyInput = z.infer<typeof policyInputSchema>;

export type StoredTarget = { type: 'user' | 'schedule' | 'channel'; id: string };
export interface StoredLevel {
  targets: StoredTarget[];
  escalateAfterSeconds: number;
}
export interface PolicyMatch {
  sources?: string[] | undefined;
  minSeverity?: Severity | undefined;
  dedupKeyPrefix?: string | undefined;
}

/** A policy as the API shows it and an apply file holds it. */
export interface Policy extends PolicyInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export const channelInputSchema = z.strictObject({
  name,
  /** Page people through it (e-mail, SMS) and use it for people without their own order. */
  forUsers: z.boolean().default(false),
  enabled: z.boolean().default(true),
  /** The channel's configuration (`kind` and its fields). Secret fields may be left out on update to keep them. */
  config: z.record(z.string(), z.unknown()),
});
export type ChannelInput = z.infer<typeof channelInputSchema>;

export interface NotificationChannel {
  id: string;
  name: string;
  kind: string;
  forUsers: boolean;
  enabled: boolean;
  /** Configuration without its secret fields. */
  config: Record<string, unknown>;
  /** Which secret fields are set (their values are never shown). */
  secretsSet: string[];
  createdAt: string;
  updatedAt: string;
}

export const contactInputSchema = z.strictObject({
  email: z.email().max(254).nullable().default(null),
  phone: z.string().regex(E164, 'a phone number in E.164 form, e.g. +4512345678').nullable().default(null),
  /** Channel names in the order to try; a failed channel falls back to the next. */
  channels: z.array(z.string().trim().min(1).max(100)).max(10).default([]),
});
export type ContactInput = z.infer<typeof contactInputSchema>;

export interface Contact {
  userId: string;
  email: string | null;
  phone: string | null;
  channels: string[];
  updatedAt: string | null;
}

export interface PolicyDeps {
  clock: Clock;
  secrets: SecretBox;
  /** Users by username or id (identity module). */
  findUsers(db: Db, namesOrIds: string[]): Promise<Map<string, OncallUser>>;
  /** Users by id. */
  lookupUsers(db: Db, ids: string[]): Promise<Map<string, OncallUser>>;
}

export type ApplyAction = 'created' | 'updated' | 'unchanged';

/** Split a configuration into its public part and its secret fields (dotted paths of SECRET_FIELDS). */
function splitSecrets(
  kind: string,
  config: Record<string, unknown>,
): { open: Record<string, unknown>; secret: Record<string, unknown> } {
  const open = structuredClone(config);
  const secret: Record<string, unknown> = {};
  for (const path of SECRET_FIELDS[kind as keyof typeof SECRET_FIELDS] ?? []) {
    const parts = path.split('.');
    let o: Record<string, unknown> | undefined = open;
    for (const p of parts.slice(0, -1)) o = (o?.[p] as Record<string, unknown> | undefined) ?? undefined;
    const last = parts[parts.length - 1] as string;
    if (o && last in o) {
      const v = o[last];
      // An empty map of headers or credentials is no secret: nothing to seal, nothing to report as set.
      const empty = v === undefined || v === '' || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
      if (!empty) secret[path] = v;
      delete o[last];
    }
  }
  return { open, secret };
}

function joinSecrets(open: Record<string, unknown>, secret: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(open);
  for (const [path, value] of Object.entries(secret)) {
    const parts = path.split('.');
    let o: Record<string, unknown> = out;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[parts[parts.length - 1] as string] = value;
  }
  return out;
}

const sealContext = (id: string): string => `oncall.channel:${id}`;

export class PagingSetup {
  constructor(private readonly d: PolicyDeps) {}

  // ---- policies ----

  async listPolicies(db: Db): Promise<Policy[]> {
    const rows = await db.selectFrom('oncall_policies').selectAll().orderBy('name').execute();
    return Promise.all(rows.map((r) => this.#toPolicy(db, r)));
  }

  async getPolicy(db: Db, id: string): Promise<Policy> {
    return this.#toPolicy(db, await this.#policyRow(db, id));
  }

  async policyRow(db: Db, id: string): Promise<PolicyRow | undefined> {
    return db.selectFrom('oncall_policies').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async #policyRow(db: Db, id: string): Promise<PolicyRow> {
    const r = await this.policyRow(db, id);
    if (!r) throw notFound('policy_not_found', `no escalation policy ${id}`);
    return r;
  }

  async createPolicy(db: Db, input: PolicyInput, path = 'body'): Promise<Policy> {
    const now = iso(this.d.clock.now());
    const row: PolicyRow = {
      id: randomUUID(),
      ...(await this.#policyColumns(db, input, path)),
      created_at: now,
      updated_at: now,
    };
    if (await db.selectFrom('oncall_policies').select('id').where('name', '=', row.name).executeTakeFirst())
      throw conflict('policy_name_taken', `an escalation policy named ${row.name} exists`);
    await this.#oneDefault(db, input, row.id);
    await db.insertInto('oncall_policies').values(row).execute();
    return this.#toPolicy(db, row);
  }

  async updatePolicy(db: Db, id: string, input: PolicyInput, path = 'body'): Promise<{ before: Policy; after: Policy }> {
    const r = await this.#policyRow(db, id);
    const before = await this.#toPolicy(db, r);
    const cols = await this.#policyColumns(db, input, path);
    const other = await db
      .selectFrom('oncall_policies')
      .select('id')
      .where('name', '=', cols.name)
      .where('id', '<>', id)
      .executeTakeFirst();
    if (other) throw conflict('policy_name_taken', `an escalation policy named ${cols.name} exists`);
    await this.#oneDefault(db, input, id);
    await db
      .updateTable('oncall_policies')
      .set({ ...cols, updated_at: iso(this.d.clock.now()) })
      .where('id', '=', id)
      .execute();
    return { before, after: await this.getPolicy(db, id) };
  }

  async deletePolicy(db: Db, id: string): Promise<Policy> {
    const before = await this.getPolicy(db, id);
    await db.deleteFrom('oncall_policies').where('id', '=', id).execute();
    return before;
  }

  /** Create or update by name; all or nothing (the caller's transaction). */
  async applyPolicies(db: Db, items: PolicyInput[]): Promise<{ name: string; action: ApplyAction; id: string }[]> {
    const out: { name: string; action: ApplyAction; id: string }[] = [];
    for (const [i, p] of items.entries()) {
      const path = `body.escalationPolicies.${i}`;
      const existing = await db.selectFrom('oncall_policies').selectAll().where('name', '=', p.name).executeTakeFirst();
      if (!existing) {
        out.push({ name: p.name, action: 'created', id: (await this.createPolicy(db, p, path)).id });
        continue;
      }
      const current = await this.#toPolicy(db, existing);
      if (JSON.stringify(comparablePolicy(current)) === JSON.stringify(comparablePolicy({ ...p }))) {
        out.push({ name: p.name, action: 'unchanged', id: existing.id });
        continue;
      }
      await this.updatePolicy(db, existing.id, p, path);
      out.push({ name: p.name, action: 'updated', id: existing.id });
    }
    return out;
  }

  async #oneDefault(db: Db, input: PolicyInput, id: string): Promise<void> {
    if (!input.isDefault) return;
    const other = await db
      .selectFrom('oncall_policies')
      .select('name')
      .where('is_default', '=', 1)
      .where('id', '<>', id)
      .executeTakeFirst();
    if (other) throw conflict('policy_default_taken', `${other.name} is the default policy already; unset it there first`);
  }

  async #policyColumns(db: Db, input: PolicyInput, path: string): Promise<Omit<PolicyRow, 'id' | 'created_at' | 'updated_at'>> {
    const levels: StoredLevel[] = [];
    const errors: { path: string; message: string }[] = [];
    for (const [li, level] of input.levels.entries()) {
      const targets: StoredTarget[] = [];
      for (const [ti, t] of level.targets.entries()) {
        const p = `${path}.levels.${li}.targets.${ti}`;
        const resolved = await this.resolveTarget(db, t);
        if (resolved) targets.push(resolved);
        else errors.push({ path: p, message: `no ${Object.keys(t)[0]} named ${Object.values(t)[0]}` });
      }
      levels.push({ targets, escalateAfterSeconds: level.escalateAfterSeconds });
    }
    if (errors.length) throw invalid('policy_target_unknown', 'an escalation policy names something that does not exist', errors);
    const match: PolicyMatch = {
      ...(input.match.sources ? { sources: input.match.sources } : {}),
      ...(input.match.minSeverity ? { minSeverity: input.match.minSeverity } : {}),
      ...(input.match.dedupKeyPrefix ? { dedupKeyPrefix: input.match.dedupKeyPrefix } : {}),
    };
    return {
      name: input.name,
      description: input.description,
      levels: JSON.stringify(levels),
      repeat: input.repeat,
      match: JSON.stringify(match),
      is_default: input.isDefault ? 1 : 0,
    };
  }

  async resolveTarget(db: Db, t: TargetInput): Promise<StoredTarget | null> {
    if ('user' in t) {
      const u = (await this.d.findUsers(db, [t.user])).get(t.user);
      return u && !u.disabled ? { type: 'user', id: u.id } : null;
    }
    if ('schedule' in t) {
      const s = await db
        .selectFrom('oncall_schedules')
        .select('id')
        .where((eb) => eb.or([eb('name', '=', t.schedule), eb('id', '=', t.schedule)]))
        .executeTakeFirst();
      return s ? { type: 'schedule', id: s.id } : null;
    }
    const c = await db
      .selectFrom('oncall_channels')
      .select('id')
      .where((eb) => eb.or([eb('name', '=', t.channel), eb('id', '=', t.channel)]))
      .executeTakeFirst();
    return c ? { type: 'channel', id: c.id } : null;
  }

  async #toPolicy(db: Db, r: PolicyRow): Promise<Policy> {
    const levels = JSON.parse(r.levels) as StoredLevel[];
    const userIds = levels.flatMap((l) => l.targets.filter((t) => t.type === 'user').map((t) => t.id));
    const users = await this.d.lookupUsers(db, userIds);
    const schedules = new Map(
      (await db.selectFrom('oncall_schedules').select(['id', 'name']).execute()).map((s) => [s.id, s.name] as const),
    );
    const channels = new Map(
      (await db.selectFrom('oncall_channels').select(['id', 'name']).execute()).map((c) => [c.id, c.name]),
    );
    const named = (t: StoredTarget): TargetInput =>
      t.type === 'user'
        ? { user: users.get(t.id)?.username ?? t.id }
        : t.type === 'schedule'
          ? { schedule: schedules.get(t.id) ?? t.id }
          : { channel: channels.get(t.id) ?? t.id };
    const match = JSON.parse(r.match) as PolicyMatch;
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      levels: levels.map((l) => ({ targets: l.targets.map(named), escalateAfterSeconds: l.escalateAfterSeconds })),
      repeat: r.repeat,
      match: {
        ...(match.sources ? { sources: match.sources } : {}),
        ...(match.minSeverity ? { minSeverity: match.minSeverity } : {}),
        ...(match.dedupKeyPrefix ? { dedupKeyPrefix: match.dedupKeyPrefix } : {}),
      },
      isDefault: r.is_default === 1,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  /** The policy for an incident: the first matching non-default policy by name, else the default one. */
  async policyFor(db: Db, inc: { source: string; severity: Severity; dedupKey: string }): Promise<PolicyRow | null> {
    const rows = await db.selectFrom('oncall_policies').selectAll().orderBy('name').execute();
    const matches = (r: PolicyRow): boolean => {
      const m = JSON.parse(r.match) as PolicyMatch;
      if (m.sources && !m.sources.includes(inc.source)) return false;
      if (m.minSeverity && SEVERITY_RANK[inc.severity] < SEVERITY_RANK[m.minSeverity]) return false;
      if (m.dedupKeyPrefix && !inc.dedupKey.startsWith(m.dedupKeyPrefix)) return false;
      return true;
    };
    return rows.find((r) => r.is_default === 0 && matches(r)) ?? rows.find((r) => r.is_default === 1) ?? null;
  }

  // ---- channels ----

  async listChannels(db: Db): Promise<NotificationChannel[]> {
    const rows = await db.selectFrom('oncall_channels').selectAll().orderBy('name').execute();
    return rows.map((r) => this.#toChannel(r));
  }

  async getChannel(db: Db, id: string): Promise<NotificationChannel> {
    return this.#toChannel(await this.#channelRow(db, id));
  }

  async #channelRow(db: Db, id: string): Promise<ChannelRow> {
    const r = await db.selectFrom('oncall_channels').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('channel_not_found', `no notification channel ${id}`);
    return r;
  }

  /** The full configuration with secrets, for sending. */
  channelConfig(r: ChannelRow): ChannelConfig {
    const open = JSON.parse(r.config) as Record<string, unknown>;
    const secret = r.secrets ? (JSON.parse(this.d.secrets.open(r.secrets, sealContext(r.id))) as Record<string, unknown>) : {};
    return channelConfigSchema.parse(joinSecrets(open, secret));
  }

  #parseConfig(config: Record<string, unknown>, path: string): ChannelConfig {
    const parsed = channelConfigSchema.safeParse(config);
    if (!parsed.success)
      throw invalid(
        'channel_invalid',
        `the channel configuration is not valid (kind must be one of ${CHANNEL_KINDS.join(', ')})`,
        parsed.error.issues.map((i) => ({ path: [path, 'config', ...i.path.map(String)].join('.'), message: i.message })),
      );
    return parsed.data;
  }

  async createChannel(db: Db, input: ChannelInput, path = 'body'): Promise<NotificationChannel> {
    const config = this.#parseConfig(input.config, path);
    if (await db.selectFrom('oncall_channels').select('id').where('name', '=', input.name).executeTakeFirst())
      throw conflict('channel_name_taken', `a notification channel named ${input.name} exists`);
    const id = randomUUID();
    const now = iso(this.d.clock.now());
    const { open, secret } = splitSecrets(config.kind, config);
    const row: ChannelRow = {
      id,
      name: input.name,
      kind: config.kind,
      config: JSON.stringify(open),
      secrets: Object.keys(secret).length ? this.d.secrets.seal(JSON.stringify(secret), sealContext(id)) : null,
      for_users: input.forUsers ? 1 : 0,
      enabled: input.enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('oncall_channels').values(row).execute();
    return this.#toChannel(row);
  }

  /** Replace a channel's configuration; secret fields left out keep their stored values. */
  async updateChannel(
    db: Db,
    id: string,
    input: ChannelInput,
    path = 'body',
  ): Promise<{ before: NotificationChannel; after: NotificationChannel; changed: boolean }> {
    const r = await this.#channelRow(db, id);
    const before = this.#toChannel(r);
    const storedSecret = r.secrets
      ? (JSON.parse(this.d.secrets.open(r.secrets, sealContext(r.id))) as Record<string, unknown>)
      : {};
    const kind = typeof input.config['kind'] === 'string' ? input.config['kind'] : r.kind;
    const given = splitSecrets(kind, input.config);
    // Secret fields left out keep their stored values (an exported file has none), unless the kind changes.
    const secretMerged = kind === r.kind ? { ...storedSecret, ...given.secret } : given.secret;
    const config = this.#parseConfig(joinSecrets(given.open, secretMerged), path);
    const { open, secret } = splitSecrets(config.kind, config);
    const other = await db
      .selectFrom('oncall_channels')
      .select('id')
      .where('name', '=', input.name)
      .where('id', '<>', id)
      .executeTakeFirst();
    if (other) throw conflict('channel_name_taken', `a notification channel named ${input.name} exists`);
    const changed =
      r.name !== input.name ||
      r.kind !== config.kind ||
      r.config !== JSON.stringify(open) ||
      JSON.stringify(storedSecret) !== JSON.stringify(secret) ||
      r.for_users !== (input.forUsers ? 1 : 0) ||
      r.enabled !== (input.enabled ? 1 : 0);
    if (!changed) return { before, after: before, changed };
    await db
      .updateTable('oncall_channels')
      .set({
        name: input.name,
        kind: config.kind,
        config: JSON.stringify(open),
        secrets: Object.keys(secret).length ? this.d.secrets.seal(JSON.stringify(secret), sealContext(id)) : null,
        for_users: input.forUsers ? 1 : 0,
        enabled: input.enabled ? 1 : 0,
        updated_at: iso(this.d.clock.now()),
      })
      .where('id', '=', id)
      .execute();
    return { before, after: await this.getChannel(db, id), changed };
  }

  async deleteChannel(db: Db, id: string): Promise<NotificationChannel> {
    const before = await this.getChannel(db, id);
    const policies = await db.selectFrom('oncall_policies').select(['name', 'levels']).execute();
    const inUse = policies.filter((p) => (JSON.parse(p.levels) as StoredLevel[]).some((l) => l.targets.some((t) => t.id === id)));
    if (inUse.length)
      throw conflict('channel_in_use', `escalation policies page through this channel: ${inUse.map((p) => p.name).join(', ')}`);
    await db.deleteFrom('oncall_channels').where('id', '=', id).execute();
    return before;
  }

  async applyChannels(db: Db, items: ChannelInput[]): Promise<{ name: string; action: ApplyAction; id: string }[]> {
    const out: { name: string; action: ApplyAction; id: string }[] = [];
    for (const [i, c] of items.entries()) {
      const path = `body.channels.${i}`;
      const existing = await db.selectFrom('oncall_channels').select('id').where('name', '=', c.name).executeTakeFirst();
      if (!existing) out.push({ name: c.name, action: 'created', id: (await this.createChannel(db, c, path)).id });
      else {
        const r = await this.updateChannel(db, existing.id, c, path);
        out.push({ name: c.name, action: r.changed ? 'updated' : 'unchanged', id: existing.id });
      }
    }
    return out;
  }

  #toChannel(r: ChannelRow): NotificationChannel {
    const secretsSet = r.secrets
      ? Object.keys(JSON.parse(this.d.secrets.open(r.secrets, sealContext(r.id))) as Record<string, unknown>)
      : [];
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      forUsers: r.for_users === 1,
      enabled: r.enabled === 1,
      config: JSON.parse(r.config) as Record<string, unknown>,
      secretsSet,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  // ---- contacts ----

  async getContact(db: Db, userId: string): Promise<Contact> {
    const r = await db.selectFrom('oncall_contacts').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!(await this.d.lookupUsers(db, [userId])).has(userId)) throw notFound('user_not_found', `no user ${userId}`);
    return this.#toContact(db, userId, r);
  }

  async setContact(db: Db, userId: string, input: ContactInput): Promise<{ before: Contact; after: Contact }> {
    const before = await this.getContact(db, userId);
    const ids: string[] = [];
    const errors: { path: string; message: string }[] = [];
    for (const [i, n] of input.channels.entries()) {
      const c = await db.selectFrom('oncall_channels').select(['id', 'kind']).where('name', '=', n).executeTakeFirst();
      if (!c) errors.push({ path: `body.channels.${i}`, message: `no channel named ${n}` });
      else if (c.kind === 'email' && !input.email)
        errors.push({ path: `body.channels.${i}`, message: 'an e-mail channel needs email' });
      else if (c.kind === 'sms' && !input.phone)
        errors.push({ path: `body.channels.${i}`, message: 'an SMS channel needs phone' });
      else ids.push(c.id);
    }
    if (errors.length) throw invalid('contact_invalid', 'the contact names channels it cannot use', errors);
    const row: ContactRow = {
      user_id: userId,
      email: input.email,
      phone: input.phone,
      channels: JSON.stringify(ids),
      updated_at: iso(this.d.clock.now()),
    };
    await db
      .insertInto('oncall_contacts')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({ email: row.email, phone: row.phone, channels: row.channels, updated_at: row.updated_at }),
      )
      .execute();
    return { before, after: await this.#toContact(db, userId, row) };
  }

  async contactRow(db: Db, userId: string): Promise<ContactRow | undefined> {
    return db.selectFrom('oncall_contacts').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  async #toContact(db: Db, userId: string, r: ContactRow | undefined): Promise<Contact> {
    if (!r) return { userId, email: null, phone: null, channels: [], updatedAt: null };
    const names = new Map((await db.selectFrom('oncall_channels').select(['id', 'name']).execute()).map((c) => [c.id, c.name]));
    return {
      userId,
      email: r.email,
      phone: r.phone,
      channels: (JSON.parse(r.channels) as string[]).map((id) => names.get(id) ?? id),
      updatedAt: r.updated_at,
    };
  }
}

/** A policy reduced to what an apply file states (defaults filled in), for comparing. */
function comparablePolicy(p: PolicyInput): unknown {
  return {
    name: p.name,
    description: p.description ?? '',
    levels: p.levels.map((l) => ({ targets: l.targets, escalateAfterSeconds: l.escalateAfterSeconds ?? 300 })),
    repeat: p.repeat ?? 0,
    match: p.match ?? {},
    isDefault: p.isDefault ?? false,
  };
}

export { joinSecrets, splitSecrets };
