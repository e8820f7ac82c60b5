import { z } from 'zod';
import { GRANT_STATES, PERSON_KINDS, PERSON_STATUSES, SYSTEM_CLASSIFICATIONS, SYSTEM_KINDS } from '../model.ts';

const text = (max: number) => z.string().trim().max(max);
const line = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters');
const email = z.email('an e-mail address').max(254).toLowerCase();
/** An account name as systems spell it (`alice`, `adm-alice`, `CORP\alice`); stored lower-cased. */
const identifier = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}\s]+$/u, 'an account name without spaces or control characters')
  .toLowerCase();
const identifiers = z
  .array(identifier)
  .max(50)
  .transform((a) => [...new Set(a)]);
const isoTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 time with a zone, e.g. 2026-12-01T08:00:00Z' });

export const idParams = z.strictObject({ id: z.uuid('must be an id') });
export const personParams = z.strictObject({ personId: z.uuid('must be an id') });
export const noQuery = z.strictObject({});

/** A person: an employee or contractor, who may or may not sign in to Skjold (issue 6 item 1). */
export const personBody = z.strictObject({
  /** Full name. */
  name: line(200).min(1),
  /** Work e-mail (lower-cased; unique): how imports and `skjold apply` recognise the person. */
  email: email.nullable().default(null),
  /** employee or contractor. */
  kind: z.enum(PERSON_KINDS).default('employee'),
  /** Team or department. */
  team: line(100).default(''),
  /** The person's manager (a person): reviews escalate to them. */
  managerId: z.uuid('must be an id').nullable().default(null),
  /** The Skjold user this person signs in as, if any (their own grants they can never approve). */
  userId: z.uuid('must be an id').nullable().default(null),
  /** Account names this person uses on systems (lower-cased): imported accounts are matched by them and by e-mail. */
  identifiers: identifiers.default([]),
});
export type PersonBody = z.infer<typeof personBody>;

/** A change to a person: only the fields given change. */
export const personPatch = z.strictObject({
  name: line(200).min(1).optional(),
  email: email.nullable().optional(),
  kind: z.enum(PERSON_KINDS).optional(),
  team: line(100).optional(),
  managerId: z.uuid('must be an id').nullable().optional(),
  userId: z.uuid('must be an id').nullable().optional(),
  identifiers: identifiers.optional(),
});
export type PersonPatch = z.infer<typeof personPatch>;

/** Marking a person as left: their grants end and they leave the privileged list. */
export const leaveBody = z.strictObject({
  /** When they left (default now; a leaving date in the future is not accepted: mark them on the day). */
  leftAt: isoTime.optional(),
  /** Why, for the record (e.g. "contract ended"). */
  reason: line(500).default(''),
});
export type LeaveBody = z.infer<typeof leaveBody>;

export const peopleQuery = z.strictObject({
  status: z.enum(PERSON_STATUSES).optional(),
  kind: z.enum(PERSON_KINDS).optional(),
  team: line(100).optional(),
  managerId: z.uuid('must be an id').optional(),
  /** Substring of the name, e-mail or an account name. */
  q: line(100).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export type PeopleQuery = z.infer<typeof peopleQuery>;

/** One access level a system offers. */
export const levelBody = z.strictObject({
  /** `read`, `operator`, `root` …: what a grant names. */
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}._:@ -]*$/u, 'letters, digits, . _ - : @ and spaces'),
  /** Privileged levels go only to people on the privileged list, with two approvers. */
  privileged: z.boolean().default(false),
  description: line(500).default(''),
});

const levels = z
  .array(levelBody)
  .min(1, 'a system offers at least one access level')
  .max(50)
  .superRefine((ls, ctx) => {
    const seen = new Set<string>();
    for (const [i, l] of ls.entries()) {
      const k = l.name.toLowerCase();
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the level ${l.name} appears twice` });
      seen.add(k);
    }
  });

/** A system: a server, control panel, database, network device or SaaS whose access is granted and reviewed. */
export const systemBody = z.strictObject({
  /** Unique name (a host name or the product's name). */
  name: line(200).min(1),
  kind: z.enum(SYSTEM_KINDS),
  /** management or customer environment (P11: every access logged), or other. */
  classification: z.enum(SYSTEM_CLASSIFICATIONS),
  /** The person who owns the system and reviews its access. */
  ownerId: z.uuid('must be an id').nullable().default(null),
  description: text(2000).default(''),
  levels,
});
export type SystemBody = z.infer<typeof systemBody>;

export const systemsQuery = z.strictObject({
  kind: z.enum(SYSTEM_KINDS).optional(),
  classification: z.enum(SYSTEM_CLASSIFICATIONS).optional(),
  ownerId: z.uuid('must be an id').optional(),
  /** Substring of the name or description. */
  q: line(100).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export type SystemsQuery = z.infer<typeof systemsQuery>;

/** Putting a person on the privileged list (P6: specially selected people). */
export const privilegedBody = z.strictObject({
  personId: z.uuid('must be an id'),
  /** Why this person needs privileged access. */
  reason: line(1000).min(3, 'say why (at least 3 characters)'),
});
export type PrivilegedBody = z.infer<typeof privilegedBody>;

/** A reason for the record: rejecting, revoking, taking someone off the privileged list. */
export const reasonBody = z.strictObject({
  reason: line(1000).min(3, 'say why (at least 3 characters)'),
});

/** A grant request: person × system × level, with the work-related need (P6). */
export const grantRequestBody = z
  .strictObject({
    personId: z.uuid('must be an id'),
    systemId: z.uuid('must be an id'),
    /** One of the system's levels. */
    level: z.string().trim().min(1).max(64),
    /** The work-related need, in words an auditor understands. */
    justification: line(2000).min(3, 'give the work-related need (at least 3 characters)'),
    /** When access begins (default: now; a just-in-time window never begins before its approval). */
    startsAt: isoTime.optional(),
    /** When it ends by itself (none: until revoked or reviewed away). */
    expiresAt: isoTime.nullable().default(null),
    /** Just-in-time: the grant ends this many hours after it starts (at most access.maxJitHours). */
    jitHours: z.number().int().min(1).max(720).optional(),
  })
  .refine((g) => !(g.jitHours !== undefined && g.expiresAt !== null), {
    message: 'give either jitHours or expiresAt, not both',
    path: ['jitHours'],
  });
export type GrantRequestBody = z.infer<typeof grantRequestBody>;

export const approveBody = z.strictObject({
  /** Optional remark kept in the grant's history. */
  note: line(1000).default(''),
});

/** A review's "reduce": the grant ends and a new one at a lesser level takes its place. */
export const reduceBody = z.strictObject({
  level: z.string().trim().min(1).max(64),
  reason: line(1000).min(3, 'say why (at least 3 characters)'),
});

export const grantsQuery = z.strictObject({
  /** One state, or `current` (active and pending, the default), or `all`. */
  state: z.enum([...GRANT_STATES, 'current', 'all']).default('current'),
  personId: z.uuid('must be an id').optional(),
  systemId: z.uuid('must be an id').optional(),
  privileged: z.enum(['true', 'false']).optional(),
  /** Only active grants ending within this many days. */
  expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export type GrantsQuery = z.infer<typeof grantsQuery>;

// ---- `skjold apply` definitions: people by e-mail, systems by name, grants by (person, system, level) ----

/** A person as `POST /api/v1/access/people/apply` takes it and `GET …/export` gives it; matched by e-mail. */
export const personDefinition = z.strictObject({
  name: line(200).min(1),
  /** The key: a person is matched by e-mail. */
  email,
  kind: z.enum(PERSON_KINDS).default('employee'),
  team: line(100).default(''),
  /** The manager's e-mail (a person in this file or already registered); null for none; left out: kept as it is. */
  manager: email.nullable().optional(),
  identifiers: identifiers.default([]),
  /** `left` marks the person as left (their grants end); a leaver is never made active again by a file. */
  status: z.enum(PERSON_STATUSES).default('active'),
});
export type PersonDefinition = z.infer<typeof personDefinition>;

/** A system as the apply endpoint takes it; matched by name. */
export const systemDefinition = z.strictObject({
  name: line(200).min(1),
  kind: z.enum(SYSTEM_KINDS),
  classification: z.enum(SYSTEM_CLASSIFICATIONS),
  /** The owner's e-mail (a registered person); null for none; left out: kept as it is. */
  owner: email.nullable().optional(),
  description: text(2000).default(''),
  levels,
});
export type SystemDefinition = z.infer<typeof systemDefinition>;

/** A grant as the apply endpoint takes it; matched by (person, system, level) among active and pending grants. */
export const grantDefinition = z.strictObject({
  /** The person's e-mail. */
  person: email,
  /** The system's name. */
  system: line(200).min(1),
  level: z.string().trim().min(1).max(64),
  justification: line(2000).min(3, 'give the work-related need (at least 3 characters)'),
  /** When it ends by itself (none: until revoked or reviewed away). */
  expiresAt: isoTime.nullable().default(null),
});
export type GrantDefinition = z.infer<typeof grantDefinition>;

const applyList = <T extends z.ZodType>(item: T, what: string) => z.array(item).max(5000, `at most 5,000 ${what} per request`);
export const applyPeopleBody = z.strictObject({ people: applyList(personDefinition, 'people') });
export const applySystemsBody = z.strictObject({ systems: applyList(systemDefinition, 'systems') });
export const applyGrantsBody = z.strictObject({ grants: applyList(grantDefinition, 'grants') });
