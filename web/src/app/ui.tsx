import { useEffect, useId, useRef, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { useI18n, type I18n } from '../i18n/i18n.tsx';
import { ApiError } from './api.ts';

/** The sentence to show for an error: our translation of its code when we have one, else the server's detail. */
export function errorText(i18n: I18n, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429 && err.retryAfter) return i18n.t('problem.retryAfter', { seconds: err.retryAfter });
    return i18n.tMaybe(`problem.${err.code}`) ?? (err.detail || err.title || `HTTP ${err.status}`);
  }
  return err instanceof Error ? err.message : String(err);
}

/** Codes whose server detail carries specifics (a limit, a permission name) worth showing under our own sentence. */
const DETAIL_ADDS = new Set([
  'password_too_short',
  'password_too_long',
  'token_expiry_invalid',
  'token_name_invalid',
  'display_name_invalid',
  'permission_denied',
  'login_throttled',
  'route_not_found',
]);

/** An API error as an alert: the message, field errors no form field claimed, and the request ID. */
export function ProblemAlert({ error, claimed = [], onDismiss }: { error: unknown; claimed?: string[]; onDismiss?: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const fieldName = (path: string) => path.replace(/^(body|query|params)\./, '');
  const loose = api?.errors.filter((e) => !claimed.includes(fieldName(e.path))) ?? [];
  const main = errorText(i18n, error);
  const same = (a: string, b: string) =>
    a.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '') === b.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  const extra = api && api.detail && DETAIL_ADDS.has(api.code) && !same(main, api.detail) ? api.detail : undefined;
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        <strong>{main}</strong>
        {extra ? <span className="alert-detail">{extra}</span> : null}
        {loose.length > 0 ? (
          <ul className="alert-list">
            {loose.map((e) => (
              <li key={`${e.path}:${e.message}`}>
                <code>{fieldName(e.path)}</code>: {e.message}
              </li>
            ))}
          </ul>
        ) : null}
        {api?.requestId ? <span className="alert-meta">{t('common.requestId', { id: api.requestId })}</span> : null}
      </div>
      {onDismiss ? (
        <button type="button" className="btn btn-quiet btn-small" onClick={onDismiss} aria-label={t('common.dismiss')}>
          ×
        </button>
      ) : null}
    </div>
  );
}

/** A success or information line that screen readers announce. */
export function Notice({
  tone = 'ok',
  children,
  onDismiss,
}: {
  tone?: 'ok' | 'info' | 'warn';
  children: ReactNode;
  onDismiss?: () => void;
}) {
  const { t } = useI18n();
  return (
    <div className={`alert alert-${tone}`} role="status">
      <div className="alert-body">{children}</div>
      {onDismiss ? (
        <button type="button" className="btn btn-quiet btn-small" onClick={onDismiss} aria-label={t('common.dismiss')}>
          ×
        </button>
      ) : null}
    </div>
  );
}

type FieldProps = {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  optional?: boolean;
  className?: string;
};

/** A labelled input with its hint and error wired up for screen readers. */
export function TextField({
  label,
  error,
  hint,
  optional,
  className,
  id,
  ...input
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const auto = useId();
  const fid = id ?? auto;
  const { t } = useI18n();
  const described = [hint ? `${fid}-hint` : '', error ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={fid}>
        {label}
        {optional ? <span className="field-optional"> ({t('common.optional')})</span> : null}
      </label>
      <input id={fid} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint ? (
        <span className="field-hint" id={`${fid}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={`${fid}-error`}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

export function SelectField({
  label,
  error,
  hint,
  className,
  id,
  children,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement> & { children: ReactNode }) {
  const auto = useId();
  const fid = id ?? auto;
  const described = [hint ? `${fid}-hint` : '', error ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={fid}>{label}</label>
      <select id={fid} aria-invalid={error ? true : undefined} aria-describedby={described} {...select}>
        {children}
      </select>
      {hint ? (
        <span className="field-hint" id={`${fid}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={`${fid}-error`}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

export type Tone = 'ok' | 'bad' | 'warn' | 'neutral' | 'info';

export function Badge({ tone, children, testId }: { tone: Tone; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}

/**
 * A destructive action that asks first, in place (no modal): the first press turns into
 * "question? [Yes] [Cancel]", with focus on Cancel so a stray Enter does no harm.
 */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="btn btn-small btn-danger-outline" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className="btn btn-small btn-danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t('common.yes')}, {label.toLowerCase()}
      </button>
      <button type="button" ref={cancelRef} className="btn btn-small" onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}

/** Copies text to the clipboard and says so; on failure asks the person to copy by hand. */
export function CopyButton({ text, label }: { text: string; label?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <>
      <button type="button" className="btn btn-small" onClick={copy}>
        {state === 'copied' ? `✓ ${t('common.copied')}` : (label ?? t('common.copy'))}
      </button>
      <span className="sr-only" aria-live="polite">
        {state === 'copied' ? t('common.copied') : ''}
      </span>
      {state === 'failed' ? <span className="field-error">{t('common.copyFailed')}</span> : null}
    </>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </div>
  );
}

/**
 * A list table: a header cell per column and, when there is nothing to list, one full-width row saying so (its span
 * follows the columns, so an optional column cannot leave it short).
 */
export function ListTable({
  testId,
  columns,
  empty,
  isEmpty,
  children,
}: {
  testId?: string;
  columns: ReactNode[];
  empty: ReactNode;
  isEmpty: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {isEmpty ? (
            <tr>
              <td colSpan={columns.length} className="empty">
                {empty}
              </td>
            </tr>
          ) : null}
          {children}
        </tbody>
      </table>
    </div>
  );
}

/** The field error a form should show beside `name`, from an ApiError's `errors[]`. */
export function fieldError(err: unknown, name: string): string | undefined {
  return err instanceof ApiError ? err.fieldError(name) : undefined;
}
