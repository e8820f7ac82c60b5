/**
 * The console's only door to the API. Every request goes through `request()`: same-origin cookies,
 * JSON in and out, the CSRF token echoed on writes, and RFC 9457 problem responses turned into ApiError.
 */

export interface FieldError {
  /** Dotted path of the offending field, e.g. `body.password`. */
  path: string;
  message: string;
}

/** A failed API call, carrying the server's problem details (or a synthetic one for network trouble). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  /** Seconds to wait (429). */
  readonly retryAfter: number | undefined;

  constructor(p: {
    status: number;
    code: string;
    title: string;
    detail: string;
    errors?: FieldError[];
    requestId?: string;
    retryAfter?: number;
  }) {
    super(p.detail || p.title);
    this.name = 'ApiError';
    this.status = p.status;
    this.code = p.code;
    this.title = p.title;
    this.detail = p.detail;
    this.errors = p.errors ?? [];
    this.requestId = p.requestId;
    this.retryAfter = p.retryAfter;
  }

  /** The message for one form field (`username` matches `body.username`). */
  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.path === field || e.path === `body.${field}` || e.path.endsWith(`.${field}`))?.message;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

/** Remember the CSRF token from /auth/login, /auth/mfa or /auth/me (sent on every write). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a signed-in request comes back 401 (session ended): the app returns to the sign-in page. */
export function setUnauthenticatedHandler(fn: (() => void) | undefined): void {
  onUnauthenticated = fn;
}

function isFieldErrors(v: unknown): v is FieldError[] {
  return Array.isArray(v) && v.every((e) => e && typeof e === 'object' && typeof (e as FieldError).path === 'string');
}

async function toApiError(res: Response): Promise<ApiError> {
  const retry = Number(res.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await res.json();
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy error page, say): fall back to the status line.
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const requestId = str(body['requestId']);
  return new ApiError({
    status: res.status,
    code: str(body['code']) ?? `http_${res.status}`,
    title: str(body['title']) ?? res.statusText,
    detail: str(body['detail']) ?? '',
    ...(isFieldErrors(body['errors']) ? { errors: body['errors'] } : {}),
    ...(requestId ? { requestId } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  });
}

export interface RequestOptions {
  /** Do not treat 401 as "session ended" (sign-in calls, the initial /auth/me probe). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

/** Call the API; resolves with the parsed JSON body, or undefined for 204. Throws ApiError. */
export async function request<T>(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError({ status: 0, code: 'network_error', title: 'Network error', detail: 'Skjold did not answer.' });
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && !opts.quiet401) onUnauthenticated?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Query string from the non-empty values of an object. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};
