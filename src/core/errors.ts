/**
 * The one transport-neutral error type. Services throw it with a stable `code`;
 * `toProblem` in core/http maps `kind` to an HTTP status. No HTTP in here.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'too_large'
  | 'unsupported'
  | 'unavailable'
  | 'internal';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `body.password`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly errors: FieldError[] | undefined;
  /** Seconds a client should wait, for rate_limited. */
  readonly retryAfter: number | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { errors?: FieldError[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.errors = opts.errors;
    this.retryAfter = opts.retryAfter;
  }
}

export const notFound = (code: string, message: string): AppError => new AppError('not_found', code, message);
export const invalid = (code: string, message: string, errors?: FieldError[]): AppError =>
  new AppError('invalid', code, message, errors ? { errors } : {});
export const conflict = (code: string, message: string): AppError => new AppError('conflict', code, message);
export const forbidden = (code: string, message: string): AppError => new AppError('forbidden', code, message);
export const unauthenticated = (code: string, message: string): AppError => new AppError('unauthenticated', code, message);
