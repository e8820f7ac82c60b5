import { useI18n } from '../i18n/i18n.tsx';
import type { AuditChange, AuditEntry } from './audit.api.ts';

function show(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Before/after of one changed record, field by field; changed fields stand out. */
function ChangeTable({ change }: { change: AuditChange }) {
  const { t } = useI18n();
  const before = change.before ?? {};
  const after = change.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return (
    <div className="change">
      <h4 className="mono">
        {change.type} {change.id}
      </h4>
      <table className="table table-compact table-change">
        <thead>
          <tr>
            <th scope="col">{t('audit.field')}</th>
            <th scope="col">{t('audit.before')}</th>
            <th scope="col">{t('audit.after')}</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const b = change.before ? show(before[k]) : '';
            const a = change.after ? show(after[k]) : '';
            const changed = b !== a;
            return (
              <tr key={k} className={changed ? 'changed' : undefined}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <td className="mono value-before">{change.before === null ? '—' : b}</td>
                <td className="mono value-after">{change.after === null ? '—' : a}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Everything the log holds about one entry. */
export function EntryDetails({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  const detail = entry.detail ? Object.entries(entry.detail) : [];
  return (
    <div className="entry-details" data-testid={`entry-details-${entry.seq}`}>
      <dl className="facts facts-grid">
        <dt>{t('audit.seq')}</dt>
        <dd className="mono">{entry.seq}</dd>
        <dt>{t('audit.timeUtc')}</dt>
        <dd className="mono">{entry.ts}</dd>
        <dt>{t('audit.actorId')}</dt>
        <dd className="mono">
          {entry.actor}
          {entry.actorName ? ` (${entry.actorName})` : ''}
        </dd>
        <dt>{t('audit.col.action')}</dt>
        <dd className="mono">{entry.action}</dd>
        {entry.target ? (
          <>
            <dt>{t('audit.col.target')}</dt>
            <dd className="mono">{entry.target}</dd>
          </>
        ) : null}
        {entry.rid ? (
          <>
            <dt>{t('audit.requestId')}</dt>
            <dd className="mono">{entry.rid}</dd>
          </>
        ) : null}
        {entry.ip ? (
          <>
            <dt>{t('audit.col.ip')}</dt>
            <dd className="mono">{entry.ip}</dd>
          </>
        ) : null}
        {entry.ua ? (
          <>
            <dt>{t('audit.userAgent')}</dt>
            <dd className="mono wrap">{entry.ua}</dd>
          </>
        ) : null}
        {detail.map(([k, v]) => (
          <FragmentPair key={`d-${k}`} term={`${t('audit.detail')}: ${k}`} value={show(v)} />
        ))}
      </dl>
      {entry.changes?.length ? (
        <section className="changes">
          <h3>{t('audit.changes')}</h3>
          {entry.changes.map((c, i) => (
            <ChangeTable key={`${c.type}:${c.id}:${i}`} change={c} />
          ))}
        </section>
      ) : null}
    </div>
  );
}

function FragmentPair({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd className="mono wrap">{value}</dd>
    </>
  );
}
