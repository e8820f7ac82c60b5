/**
 * Log ingestion transports: syslog over UDP/TCP/TLS, file tailing, and the HTTP body framing helper. They deliver
 * framed raw lines to a `LineSink` (normally a `BoundedLineQueue` the pipeline consumes); parsing happens downstream.
 */
export { FileTailer, type FileTailerOptions, type FileTailerStats, type TailedFileState } from './file-tailer.ts';
export {
  MAX_MESSAGE_BYTES,
  readNdjson,
  splitLines,
  SyslogFramer,
  type FramerOptions,
  type NdjsonError,
  type NdjsonResult,
  type SplitLinesResult,
} from './framing.ts';
export { ingestHttpBody, type HttpIngestOptions, type HttpIngestResult } from './http-body.ts';
export {
  DROP_REASONS,
  newCounters,
  SampleRing,
  type DropReason,
  type IngestSample,
  type Transport,
  type TransportCounters,
} from './ingest-stats.ts';
export {
  BoundedLineQueue,
  type BoundedLineQueueOptions,
  type LineBatch,
  type LineOrigin,
  type LineSink,
  type QueueStats,
} from './line-sink.ts';
export { startSyslogServer, type SyslogServer, type SyslogServerOptions, type SyslogServerStats } from './syslog-server.ts';
