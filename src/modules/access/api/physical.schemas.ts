import { z } from 'zod';
import { SITE_HOLDINGS } from '../physical.model.ts';

const text = (max: number) => z.string().trim().max(max);
const name = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)

    .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters');
const instant = z.iso.datetime({ offset: true, error: 'an ISO 8601 time with a zone' });

export const idParams = z.strictObject({ id: z.uuid('must be an id') });
export const siteChildParams = z.strictObject({ id: z.uuid('must be an id'), childId: z.uuid('must be an id') });
export const noQuery = z.strictObject({});

/** A site: a data centre, an office or a network room, with what it holds (P1) (issue 6 item 4). */
export const siteBody = z.strictObject({
  /** Unique; badge events name their site by it. */
  name: name(100),
  /** Street address. */
  address: text(500).default(''),
  /** ISO 3166-1 alpha-2 (DK, SE, DE …). */
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'a two-letter ISO 3166-1 country code')
    .transform((c) => c.toUpperCase()),
  /** What the site holds: customer-data, backups, management, network, office. */
  holds: z.array(z.enum(SITE_HOLDINGS)).max(SITE_HOLDINGS.length).default([]),
  /** The data-centre operator or provider. */
  operator: text(200).default(''),
  /** The person responsible for the site. */
  ownerId: z.uuid('must be an id').nullable().default(null),
  notes: text(2000).default(''),
});
export type SiteBody = z.infer<typeof siteBody>;

export const doorBody = z.strictObject({
  /** Unique within the site; badge events name their door by it. */
  name: name(200),
  /** An entrance into the site (must be under a camera, P5). */
  entrance: z.boolean().default(true),
});
export type DoorBody = z.infer<typeof doorBody>;

export const cameraBody = z.strictObject({
  /** Unique within the site. */
  name: name(200),
  /** The door this camera covers, if any. */
  doorId: z.uuid('must be an id').nullable().default(null),
});
export type CameraBody = z.infer<typeof cameraBody>;

/** One site as `skjold apply` writes it: doors and cameras nested, the owner and covered doors by name. */
export const siteDefinition = z.strictObject({
  name: name(100),
  address: text(500).default(''),
  country: siteBody.shape.country,
  holds: siteBody.shape.holds,
  operator: text(200).default(''),
  /** The owner's e-mail address (a person registered under People). */
  owner: z.email().nullable().default(null),
  notes: text(2000).default(''),
  doors: z.array(doorBody).max(500).default([]),
  /** `covers`: the name of one of the site's doors. */
  cameras: z
    .array(z.strictObject({ name: name(200), covers: name(200).nullable().default(null) }))
    .max(1000)
    .default([]),
});
export type SiteDefinition = z.infer<typeof siteDefinition>;
export const applySitesBody = z.strictObject({ sites: z.array(siteDefinition).max(1000) });

export const badgeBody = z.strictObject({
  /** The card's number as the access-card system reports it. */
  number: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/, 'letters, digits, : . _ -, at most 64'),
  personId: z.uuid('must be an id'),
  /** When the card was handed out; defaults to now. */
  issuedAt: instant.optional(),
});
export type BadgeBody = z.infer<typeof badgeBody>;
export const badgesQuery = z.strictObject({
  personId: z.uuid('must be an id').optional(),
  /** Also revoked badges. */
  all: z.enum(['true', 'false']).default('false'),
});

export const reasonBody = z.strictObject({ reason: name(1000) });

export const siteGrantBody = z.strictObject({
  personId: z.uuid('must be an id'),
  siteId: z.uuid('must be an id'),
  /** The work-related need (P3). */
  justification: name(2000),
  /** Defaults to now. */
  startsAt: instant.optional(),
  /** When the access ends by itself. */
  expiresAt: instant.nullable().default(null),
});
export type SiteGrantBody = z.infer<typeof siteGrantBody>;
export const siteGrantsQuery = z.strictObject({
  siteId: z.uuid('must be an id').optional(),
  personId: z.uuid('must be an id').optional(),
  state: z.enum(['pending', 'active', 'expired', 'revoked', 'rejected']).optional(),
});

export const badgeImportQuery = z.strictObject({
  /** csv or syslog; otherwise chosen from the Content-Type (text/csv) and the first line. */
  format: z.enum(['csv', 'syslog']).optional(),
});
/** The import's body: the file as text (text/csv or text/plain); checked against maxImportBytes by the route. */
export const badgeImportBody = z.string({ error: 'the file as text/csv or text/plain' });

export const badgeEventsQuery = z.strictObject({
  siteId: z.uuid('must be an id').optional(),
  doorId: z.uuid('must be an id').optional(),
  personId: z.uuid('must be an id').optional(),
  badge: text(64).optional(),
  result: z.enum(['granted', 'denied']).optional(),
  /** Only events that raised a finding (no grant, leaver, repeated denials). */
  findings: z.enum(['true', 'false']).optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
export type BadgeEventsQuery = z.infer<typeof badgeEventsQuery>;
export const badgeStatsQuery = z.strictObject({
  siteId: z.uuid('must be an id').optional(),
  days: z.coerce.number().int().min(1).max(366).default(30),
});
