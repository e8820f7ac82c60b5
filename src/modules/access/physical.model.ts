/** Physical access vocabulary (issue 6 items 4–5): what a site holds and what a badge event says. */

/** What a site holds; `customer-data` is what P1 keeps inside Denmark. */
export const SITE_HOLDINGS = ['customer-data', 'backups', 'management', 'network', 'office'] as const;
export type SiteHolding = (typeof SITE_HOLDINGS)[number];

/** A card reader's verdict on one badge use. */
export const BADGE_RESULTS = ['granted', 'denied'] as const;
export type BadgeResult = (typeof BADGE_RESULTS)[number];

/** Why a badge event is a finding: used without a valid site grant, by a leaver, or one of repeated denials. */
export const BADGE_FINDINGS = ['no-grant', 'leaver', 'denials'] as const;
export type BadgeFinding = (typeof BADGE_FINDINGS)[number];
