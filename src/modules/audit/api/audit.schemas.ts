import { z } from 'zod';

const seq = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const text = z.string().min(1).max(512);

export const searchQuerySchema = z
  .object({
    /** Exact actor reference, e.g. `user:<id>`. */
    actor: text.optional(),
    /** Exact action, e.g. `users.create`. */
    action: text.optional(),
    /** Exact target. */
    target: text.optional(),
    /** allowed, denied or failed. */
    outcome: z.enum(['allowed', 'denied', 'failed']).optional(),
    /** Entries at or after this ISO time. */
    from: z.iso.datetime({ offset: true }).optional(),
    /** Entries before this ISO time. */
    to: z.iso.datetime({ offset: true }).optional(),
    /** The previous page's nextCursor (a seq). */
    cursor: seq.optional(),
    /** Page size, at most 500. */
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** desc: newest first (default); asc: oldest first. */
    order: z.enum(['desc', 'asc']).default('desc'),
  })
  .strict();
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export const seqParamsSchema = z.object({
  /** Sequence number of the entry. */
  seq,
});
export type SeqParams = z.infer<typeof seqParamsSchema>;

export const proofQuerySchema = z
  .object({
    /** Tree size of the checkpoint to prove against; default the first checkpoint covering the entry. */
    treeSize: seq.optional(),
  })
  .strict();
export type ProofQuery = z.infer<typeof proofQuerySchema>;

export const checkpointsQuerySchema = z
  .object({
    /** The previous page's nextCursor (a tree size). */
    cursor: seq.optional(),
    /** Page size, at most 500. */
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type CheckpointsQuery = z.infer<typeof checkpointsQuerySchema>;

export const consistencyQuerySchema = z
  .object({
    /** Tree size of the older checkpoint. */
    from: seq,
    /** Tree size of the newer checkpoint. */
    to: seq,
  })
  .strict();
export type ConsistencyQuery = z.infer<typeof consistencyQuerySchema>;

/** A seq number or an ISO time. */
const bound = z
  .string()
  .regex(/^(?:[0-9]{1,15}|\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))$/, 'a seq number or an ISO time');

export const exportQuerySchema = z
  .object({
    /** First entry: a seq (inclusive) or an ISO time (inclusive); default the first entry. */
    from: bound.optional(),
    /** Last entry: a seq (inclusive) or an ISO time (exclusive); default the last entry. */
    to: bound.optional(),
  })
  .strict();
export type ExportQuery = z.infer<typeof exportQuerySchema>;

/** Routes without parameters still reject unknown ones. */
export const noQuerySchema = z.object({}).strict();
export type NoQuery = z.infer<typeof noQuerySchema>;
