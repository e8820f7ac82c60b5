import { z } from 'zod';

/** Path parameter: the id of a system or task the API gave out. */
export const idParams = z.strictObject({ id: z.uuid('must be an id') });
export const noQuery = z.strictObject({});

/** An account list: CSV or JSON text (text/plain), or a JSON array of objects (application/json). */
export const accountListBody = z.union([z.string(), z.array(z.unknown())], {
  error: 'CSV or JSON text, or a JSON array of accounts',
});
export type AccountListBody = z.infer<typeof accountListBody>;

export const accountsQuery = z.strictObject({
  /** Also list accounts an import no longer holds. */
  gone: z.enum(['true', 'false']).optional(),
});

export const importsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const discrepanciesQuery = z.strictObject({
  /** Only this system. */
  system: z.uuid('must be a system id').optional(),
});

/** Auth log lines (sshd) and control-panel JSON lines, one per line (text/plain or application/x-ndjson). */
export const loginLinesBody = z.string({ error: 'send the lines as text/plain or application/x-ndjson' });

export const loginImportQuery = z.strictObject({
  /** The system every sshd line belongs to (otherwise each line's syslog host names it). */
  system: z.uuid('must be a system id').optional(),
});

export const loginEventsQuery = z.strictObject({
  system: z.uuid('must be a system id').optional(),
  account: z.string().trim().min(1).max(256).optional(),
  outcome: z.enum(['succeeded', 'failed']).optional(),
  /** From this time (inclusive), ISO 8601. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Until this time (exclusive), ISO 8601. */
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

export const tasksQuery = z.strictObject({
  state: z.enum(['open', 'done']).optional(),
  system: z.uuid('must be a system id').optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

export const closeTaskBody = z.strictObject({
  /** Why the task is closed by hand (e.g. "removed by hand, ticket OPS-123"). */
  reason: z.string().trim().min(3).max(2000),
});

const attr = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an LDAP attribute name');

/** An LDAP / Active Directory source for a system's account list. */
export const ldapSourceBody = z.strictObject({
  /** ldap://host[:port] or ldaps://host[:port]. */
  url: z
    .string()
    .trim()
    .max(500)
    .regex(/^ldaps?:\/\/[A-Za-z0-9.[\]:-]+(?::\d{1,5})?\/?$/, 'ldap://host[:port] or ldaps://host[:port]'),
  bindDn: z.string().trim().min(1).max(1000),
  /** Sealed at rest; omit on a change to keep the stored one. */
  bindPassword: z.string().min(1).max(1000).optional(),
  baseDn: z.string().trim().min(1).max(1000),
  /** RFC 4515 filter, e.g. `(objectClass=person)`. */
  filter: z.string().trim().min(3).max(2000).default('(objectClass=person)'),
  attributes: z
    .strictObject({
      account: attr.default('sAMAccountName'),
      name: attr.default('displayName'),
      mail: attr.default('mail'),
      memberOf: attr.default('memberOf'),
      disabled: attr.optional(),
    })
    .default({ account: 'sAMAccountName', name: 'displayName', mail: 'mail', memberOf: 'memberOf' }),
  /** Group DNs or names (`Domain Admins`) whose members count as privileged. */
  privilegedGroups: z.array(z.string().trim().min(1).max(1000)).max(100).default([]),
  /** Pull on this schedule (minutes); null = only when asked. */
  intervalMinutes: z.number().int().min(5).max(10_080).nullable().default(null),
});
export type LdapSourceBody = z.infer<typeof ldapSourceBody>;
