import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { AppError, type ErrorKind, type FieldError } from '../errors.ts';

/** RFC 9457 problem details, with Skjold's stable `code` and per-field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
  requestId?: string;
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const TITLE: Record<ErrorKind, string> = {
  invalid: 'Invalid request',
  unauthenticated: 'Authentication required',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  too_large: 'Request too large',
  unsupported: 'Unsupported media type',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  internal: 'Internal error',
};

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

/** Map a zod error to field errors under a prefix (`body`, `query`, `params`). */
export function zodFieldErrors(prefix: string, err: z.ZodError): FieldError[] {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
}

/** Turn anything thrown into an AppError. Unknown errors become a generic internal error. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; name?: string; statusCode?: number; message?: string };
  // Fastify's own errors (body parser, content type, body limit).
  if (typeof e?.code === 'string' && e.code.startsWith('FST_')) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('too_large', 'body_too_large', 'request body is too large');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH')
      return new AppError('unsupported', 'unsupported_media_type', 'send the body as application/json');
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new AppError('invalid', 'malformed_json', 'the JSON body is empty');
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.name === 'SyntaxError')
      return new AppError('invalid', 'malformed_json', 'request body is not valid JSON');
    if (e.statusCode && e.statusCode < 500) return new AppError('invalid', 'malformed_request', e.message ?? 'malformed request');
  }
  if (err instanceof SyntaxError || (e?.statusCode === 400 && typeof e.message === 'string')) {
    return new AppError('invalid', 'malformed_json', 'request body is not valid JSON');
  }
  return new AppError('internal', 'internal_error', 'an unexpected error occurred', { cause: err });
}

export function problemOf(err: AppError, instance?: string, requestId?: string): Problem {
  const status = STATUS[err.kind];
  return {
    type: `urn:skjold:problem:${err.code}`,
    title: TITLE[err.kind],
    status,
    // Unexpected errors never leak their message.
    detail: err.kind === 'internal' ? 'an unexpected error occurred' : err.message,
    code: err.code,
    ...(instance ? { instance } : {}),
    ...(err.errors ? { errors: err.errors } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

export function sendProblem(reply: FastifyReply, err: AppError): FastifyReply {
  const p = problemOf(err, reply.request.url.split('?')[0], reply.request.id);
  if (err.retryAfter !== undefined) void reply.header('Retry-After', String(Math.ceil(err.retryAfter)));
  return reply.code(p.status).type('application/problem+json').send(p);
}
