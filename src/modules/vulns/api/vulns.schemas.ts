import { z } from 'zod';

const text = (max: number) => z.string().trim().max(max);

/** Path parameter of assets, snapshots and feeds: the uuid the API gave out. */
export const idParams = z.strictObject({ id: z.uuid('must be an id') });
export const noQuery = z.strictObject({});

/** An asset's classification: what it is, who owns it and how exposed it is (issue 5 item 1, P14). */
export const assetBody = z.strictObject({
  /** Host name as its agent reports it (`hostname -f`), or the service's or application's name. */
  name: z
    .string()
    .trim()
    .min(1)
    .max(253)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}._:@/ -]*$/u, 'letters, digits, . _ - : @ / and spaces, starting with a letter or digit'),
  /** host (reports packages), service or application (report SBOMs). */
  kind: z.enum(['host', 'service', 'application']).default('host'),
  /** Team that patches it. */
  ownerTeam: text(100).default(''),
  /** production, staging … */
  environment: text(50).default(''),
  /** Data centre or site. */
  site: text(100).default(''),
  criticality: z.enum(['low', 'medium', 'high', 'critical']).default('medium'),
  /** internet-facing, internal, or unknown (counts as internet-facing for priority and SLA). */
  exposure: z.enum(['internet', 'internal', 'unknown']).default('unknown'),
  /** provider-operated, or customer-managed (P14: reported, outside the provider's SLA). */
  operatedBy: z.enum(['provider', 'customer']).default('provider'),
  /** The customer whose asset it is, for customer-managed assets. */
  customer: text(200).nullable().default(null),
  description: text(2000).default(''),
});
export type AssetBody = z.infer<typeof assetBody>;

export const assetsQuery = z.strictObject({
  /** Only provider-operated or only customer-managed assets (P14: customers' assets have their own view). */
  operatedBy: z.enum(['provider', 'customer']).optional(),
  kind: z.enum(['host', 'service', 'application']).optional(),
  /** Substring of the name, owner team, site or customer. */
  q: text(100).optional(),
  /** Only assets that have not reported for two days. */
  stale: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export type AssetsQuery = z.infer<typeof assetsQuery>;

export const snapshotsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** A vulnerability feed: where its data comes from and how often to check it (issue 5 item 3). */
export const feedBody = z
  .strictObject({
    kind: z.enum(['debian-tracker', 'debian-dsa', 'debian-dla', 'osv', 'kev', 'epss']),
    name: text(100).min(1),
    /** https URL checked on the schedule with a conditional GET; or … */
    url: z
      .url({ protocol: /^https$/, error: 'an https URL' })
      .max(2000)
      .nullable()
      .default(null),
    /** … an absolute path on the server, for air-gapped sites (a copy put there by other means). */
    path: z.string().max(1000).regex(/^\//, 'an absolute path').nullable().default(null),
    /** OSV: ecosystems to keep from an archive (`Debian:12`, `npm` …); empty keeps all. */
    ecosystems: z.array(text(100).min(1)).max(200).default([]),
    /** Seconds between checks (default 4 h; at least 5 minutes, at most a week). */
    intervalSeconds: z
      .number()
      .int()
      .min(300)
      .max(7 * 86_400)
      .default(4 * 3600),
    enabled: z.boolean().default(true),
  })
  .refine((f) => (f.url === null) !== (f.path === null), { message: 'give exactly one of url and path', path: ['url'] });
export type FeedBody = z.infer<typeof feedBody>;

/** `POST /api/v1/vulns/inventory`: the agent's text/plain report (checked against maxUploadBytes by the route). */
export const inventoryUploadBody = z.string();

/** `POST /api/v1/vulns/assets/:id/sbom`: a CycloneDX or SPDX JSON document (validated by the SBOM reader). */
export const sbomBody = z.record(z.string(), z.unknown());
