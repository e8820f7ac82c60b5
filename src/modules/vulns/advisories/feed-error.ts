import { AppError } from '../../../core/errors.ts';

/** The feeds these parsers read; named in every error. */
export type AdvisoryFeedKind = 'debian-tracker' | 'debian-dsa' | 'osv' | 'kev' | 'epss';

/** Where in a feed the problem is; every parser fills what it knows. */
export interface FeedErrorLocation {
  /** 0-based byte offset into the (decompressed) document. */
  offset?: number | undefined;
  /** 1-based line number. */
  line?: number | undefined;
  /** Tracker: the source package whose value is wrong. */
  package?: string | undefined;
  /** Zip archives: the entry's file name. */
  entry?: string | undefined;
  /** Arrays (KEV `vulnerabilities`): 0-based index. */
  index?: number | undefined;
  /** The advisory or vulnerability id, when known (`CVE-2024-3094`). */
  id?: string | undefined;
}

/**
 * A feed document that must not be imported. Parsers throw it before the caller commits anything, so the importer
 * rolls back its transaction and keeps the last good data (issue 5 item 3). The message names the feed and the
 * position (byte offset, line, package, zip entry, array index) so an operator can find the problem in the file.
 */
export class AdvisoryFeedError extends AppError {
  readonly feed: AdvisoryFeedKind;
  readonly location: FeedErrorLocation;

  constructor(feed: AdvisoryFeedKind, reason: string, location: FeedErrorLocation = {}, cause?: unknown) {
    super('invalid', 'advisory_feed_malformed', `${feed}: ${describeLocation(location)}${reason}`, { cause });
    this.name = 'AdvisoryFeedError';
    this.feed = feed;
    this.location = location;
  }
}

function describeLocation(l: FeedErrorLocation): string {
  const parts: string[] = [];
  if (l.entry !== undefined) parts.push(`entry "${clip(l.entry)}"`);
  if (l.line !== undefined) parts.push(`line ${l.line}`);
  if (l.offset !== undefined) parts.push(`byte ${l.offset}`);
  if (l.package !== undefined) parts.push(`package "${clip(l.package)}"`);
  if (l.index !== undefined) parts.push(`index ${l.index}`);
  if (l.id !== undefined) parts.push(`${clip(l.id)}`);
  return parts.length === 0 ? '' : `${parts.join(', ')}: `;
}

/** Cut feed text quoted in a message so a hostile document cannot flood the logs. */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
