import { randomUUID } from 'node:crypto';
import type { Db } from '../../core/db/database.ts';
import type { SystemClassification } from './model.ts';

/**
 * Small factories for the accounts tests: people, systems and grants written straight into the module's own tables
 * (the people area's services and their rules are tested there; here only the rows matter).
 */

export async function addSystem(
  db: Db,
  name: string,
  classification: SystemClassification = 'management',
  opts: {
    kind?: string;
    ownerId?: string | null;
    levels?: { name: string; privileged: boolean }[];
    /** When it was created (default: now). */
    at?: string;
  } = {},
): Promise<string> {
  const id = randomUUID();
  const now = opts.at ?? new Date().toISOString();
  await db
    .insertInto('access_systems')
    .values({
      id,
      name,
      kind: opts.kind ?? 'server',
      classification,
      owner_id: opts.ownerId ?? null,
      description: '',
      levels: JSON.stringify(
        opts.levels ?? [
          { name: 'user', privileged: false },
          { name: 'root', privileged: true },
        ],
      ),
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export async function addPerson(
  db: Db,
  name: string,
  opts: {
    /** Null or left out: no e-mail address. */
    email?: string | null;
    identifiers?: string[];
    team?: string;
    managerId?: string | null;
    /** Default: `left` when `leftAt` is given, else `active`. */
    status?: 'active' | 'left';
    leftAt?: string;
    userId?: string | null;
    /** When it was created (default: now). */
    at?: string;
  } = {},
): Promise<string> {
  const id = randomUUID();
  const now = opts.at ?? new Date().toISOString();
  await db
    .insertInto('access_people')
    .values({
      id,
      name,
      email: opts.email ?? null,
      kind: 'employee',
      team: opts.team ?? 'ops',
      manager_id: opts.managerId ?? null,
      status: opts.status ?? (opts.leftAt ? 'left' : 'active'),
      left_at: opts.leftAt ?? null,
      user_id: opts.userId ?? null,
      identifiers: JSON.stringify(opts.identifiers ?? []),
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export async function addGrant(
  db: Db,
  personId: string,
  systemId: string,
  opts: {
    level?: string;
    privileged?: boolean;
    startsAt?: string;
    expiresAt?: string | null;
    state?: string;
    justification?: string;
    /** When it was requested and approved (default: now). */
    at?: string;
  } = {},
): Promise<string> {
  const id = randomUUID();
  const now = opts.at ?? new Date().toISOString();
  await db
    .insertInto('access_grants')
    .values({
      id,
      person_id: personId,
      system_id: systemId,
      level: opts.level ?? 'user',
      privileged: opts.privileged ? 1 : 0,
      jit: 0,
      justification: opts.justification ?? 'operates the system',
      requested_by: 'system:test',
      requested_by_name: 'test',
      approved_by: 'system:test',
      approved_by_name: 'test',
      approved_at: now,
      second_approved_by: null,
      second_approved_by_name: null,
      second_approved_at: null,
      state: opts.state ?? 'active',
      starts_at: opts.startsAt ?? '2020-01-01T00:00:00.000Z',
      expires_at: opts.expiresAt ?? null,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}
