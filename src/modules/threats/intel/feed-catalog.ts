/**
 * Threat-intel feed definitions: the zod schema for a feed (built-in or defined by an operator) and the built-in
 * catalogue. Every built-in feed is disabled by default: enabling one is an operator's decision (it needs internet
 * access and acceptance of the publisher's terms, recorded here with the attribution to show next to its bans).
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { FEED_FORMATS } from './feed-formats.ts';

const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

export const feedDefinitionSchema = z
  .object({
    /** Stable id, also the file name of the stored copy: lower-case letters, digits, `-` and `_`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_", at most 63'),
    /** Display name. */
    name: z.string().min(1).max(200),
    /** Where to download it from (http/https); exactly one of `url` and `file`. */
    url: httpUrl.optional(),
    /** Or a local file to read (absolute path); exactly one of `url` and `file`. */
    file: z
      .string()
      .max(4096)
      .refine((p) => isAbsolute(p), 'must be an absolute path')
      .optional(),
    /** How to read it; `auto` guesses from the content and the file name. */
    format: z.enum([...FEED_FORMATS, 'auto']).default('auto'),
    /** Seconds between refreshes (at least a minute; publishers ask for restraint). */
    refreshSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .default(3600),
    /** The publisher's licence or terms of use, as a short text or URL. */
    licence: z.string().min(1).max(1000),
    /** The credit line the publisher asks for, shown with every decision the feed causes. */
    attribution: z.string().min(1).max(1000),
    /** Publisher's page about the list. */
    homepage: httpUrl.optional(),
    /** Off by default: turning a list into bans is a deliberate act. */
    enabled: z.boolean().default(false),
    /**
     * Name of the secret holding an API key sent as a request header (AbuseIPDB: header `Key`). The key itself never
     * lives in the feed definition.
     */
    apiKey: z.object({ header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/), secret: z.string().min(1).max(200) }).optional(),
    /** Largest accepted drop in entries against the last good copy (0..1, default 0.5). */
    maxShrink: z.number().min(0).max(1).optional(),
    /** Largest accepted share of unparsable lines (0..1, default 0.05). */
    maxBadShare: z.number().min(0).max(1).optional(),
    /** Largest download in bytes after decompression (default 64 MiB). */
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .optional(),
  })
  .refine((d) => (d.url === undefined) !== (d.file === undefined), {
    message: 'give exactly one of "url" and "file"',
    path: ['url'],
  });

export type FeedDefinition = z.infer<typeof feedDefinitionSchema>;
export type FeedDefinitionInput = z.input<typeof feedDefinitionSchema>;

const ONE_HOUR = 3600;

// Licence texts are summaries of the publishers' own words; the URL is the authority.
const BUILT_IN: FeedDefinitionInput[] = [
  {
    id: 'firehol-level1',
    name: 'FireHOL level 1',
    url: 'https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset',
    format: 'plain',
    refreshSeconds: ONE_HOUR,
    // FireHOL only aggregates: each source list (DShield, Spamhaus DROP, Feodo, fullbogons…) keeps its own terms.
    licence: 'Aggregate of third-party lists, each under its own terms; see https://iplists.firehol.org/?ipset=firehol_level1',
    attribution: 'FireHOL IP lists (iplists.firehol.org) and the lists it aggregates',
    homepage: 'https://iplists.firehol.org/?ipset=firehol_level1',
  },
  {
    id: 'et-compromised',
    name: 'Emerging Threats compromised hosts',
    url: 'https://rules.emergingthreats.net/blockrules/compromised-ips.txt',
    format: 'plain',
    refreshSeconds: ONE_HOUR,
    licence: 'Proofpoint Emerging Threats open data, free to use; see https://rules.emergingthreats.net/',
    attribution: 'Proofpoint Emerging Threats',
    homepage: 'https://rules.emergingthreats.net/blockrules/',
  },
  {
    id: 'cins-army',
    name: 'CINS Army list',
    url: 'https://cinsscore.com/list/ci-badguys.txt',
    format: 'plain',
    refreshSeconds: ONE_HOUR,
    licence: 'Free for use; terms at https://cinsscore.com/',
    attribution: 'CINS Army list, Sentinel IPS / Collective Intelligence Network Security',
    homepage: 'https://cinsscore.com/',
  },
  {
    id: 'blocklist-de-all',
    name: 'blocklist.de all attackers (48 h)',
    url: 'https://lists.blocklist.de/lists/all.txt',
    format: 'plain',
    refreshSeconds: ONE_HOUR,
    licence: 'Free for use; blocklist.de asks for attribution and no more than one download per 30 minutes',
    attribution: 'blocklist.de',
    homepage: 'https://www.blocklist.de/en/export.html',
  },
  {
    id: 'tor-exit',
    name: 'Tor exit relays',
    url: 'https://check.torproject.org/torbulkexitlist',
    format: 'tor-exit',
    refreshSeconds: ONE_HOUR,
    // Tor exits are shared by many innocent users: useful as a signal, rarely as a blanket ban.
    licence: 'Tor Project data, public domain (CC0); see https://metrics.torproject.org/',
    attribution: 'The Tor Project',
    homepage: 'https://check.torproject.org/',
  },
  {
    id: 'spamhaus-drop-v4',
    name: 'Spamhaus DROP (IPv4)',
    url: 'https://www.spamhaus.org/drop/drop_v4.json',
    format: 'spamhaus-json',
    // Spamhaus asks for at most one download per hour; DROP changes slowly.
    refreshSeconds: 12 * ONE_HOUR,
    licence: 'Spamhaus DROP terms of use: https://www.spamhaus.org/drop/terms/',
    attribution: 'The Spamhaus Project SLU, DROP list',
    homepage: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  },
  {
    id: 'spamhaus-drop-v6',
    name: 'Spamhaus DROP (IPv6)',
    url: 'https://www.spamhaus.org/drop/drop_v6.json',
    format: 'spamhaus-json',
    refreshSeconds: 12 * ONE_HOUR,
    licence: 'Spamhaus DROP terms of use: https://www.spamhaus.org/drop/terms/',
    attribution: 'The Spamhaus Project SLU, DROPv6 list',
    homepage: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  },
  {
    id: 'spamhaus-asndrop',
    name: 'Spamhaus ASN-DROP',
    url: 'https://www.spamhaus.org/drop/asndrop.json',
    // Yields ASNs, not addresses: the IP index ignores them; an ASN lookup must match them.
    format: 'spamhaus-asn-json',
    refreshSeconds: 12 * ONE_HOUR,
    licence: 'Spamhaus DROP terms of use: https://www.spamhaus.org/drop/terms/',
    attribution: 'The Spamhaus Project SLU, ASN-DROP list',
    homepage: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  },
  {
    id: 'feodo-tracker',
    name: 'abuse.ch Feodo Tracker botnet C2',
    url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.json',
    format: 'feodo-json',
    refreshSeconds: ONE_HOUR,
    licence: 'CC0 1.0; terms at https://feodotracker.abuse.ch/blocklist/',
    attribution: 'abuse.ch Feodo Tracker',
    homepage: 'https://feodotracker.abuse.ch/blocklist/',
  },
  {
    id: 'abuseipdb',
    name: 'AbuseIPDB blacklist (confidence ≥ 90)',
    // Needs an API key (header `Key`); the free plan allows a few blacklist downloads a day, hence the 6 h refresh.
    url: 'https://api.abuseipdb.com/api/v2/blacklist?confidenceMinimum=90&plaintext',
    format: 'abuseipdb',
    refreshSeconds: 6 * ONE_HOUR,
    licence: 'AbuseIPDB terms of service (API key required): https://www.abuseipdb.com/legal',
    attribution: 'AbuseIPDB (https://www.abuseipdb.com)',
    homepage: 'https://www.abuseipdb.com/',
    apiKey: { header: 'Key', secret: 'abuseipdb_api_key' },
  },
];

/** The built-in feed definitions, validated, all disabled. A fresh copy each call so callers may change `enabled`. */
export function builtInFeeds(): FeedDefinition[] {
  return BUILT_IN.map((d) => feedDefinitionSchema.parse(d));
}
