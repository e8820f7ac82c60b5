/** Advisory feed parsers (issue 5 items 3–4): pure, streaming, all or nothing. Storage and scheduling live elsewhere. */
export { AdvisoryFeedError, type AdvisoryFeedKind, type FeedErrorLocation } from './feed-error.ts';
export { drainFeed, type FeedInput } from './feed-stream.ts';
export { maxSeverity, severityFromVendor } from './severity.ts';
export {
  DEBIAN_RELEASES,
  debianVendorStatus,
  parseDebianTracker,
  releaseEcosystem,
  type DebianTrackerOptions,
  type DebianTrackerSummary,
} from './debian-tracker.ts';
export {
  parseDebianAdvisoryList,
  type DebianAdvisoryEntry,
  type DebianAdvisoryListOptions,
  type DebianAdvisoryListSummary,
} from './debian-dsa.ts';
export {
  normaliseOsvEcosystem,
  parseOsvRecord,
  readOsvZip,
  type OsvRecordResult,
  type OsvZipOptions,
  type OsvZipSummary,
} from './osv.ts';
export { parseKev, type KevCatalog } from './kev.ts';
export { parseEpss, type EpssMeta, type EpssOptions, type EpssSummary } from './epss.ts';
