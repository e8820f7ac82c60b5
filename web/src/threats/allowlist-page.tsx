import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../app/session.tsx';
import { ConfirmButton, ListTable, PageHeader, ProblemAlert, TextField, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago } from './threat-badges.tsx';
import { threatsApi, type AllowlistEntry } from './threats.api.ts';

/** /threats/allowlist: networks never banned; entries from the configuration are shown but cannot be removed here. */
export function AllowlistPage() {
  const { t } = useI18n();
  const session = useSession();
  const canWrite = session.can('threats.write');
  const [items, setItems] = useState<AllowlistEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [cidr, setCidr] = useState('');
  const [reason, setReason] = useState('');
  const [formError, setFormError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setItems((await threatsApi.allowlist()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    try {
      await threatsApi.allow({ cidr: cidr.trim(), reason: reason.trim() });
      setCidr('');
      setReason('');
      await load();
    } catch (err) {
      setFormError(err);
    }
  };
  const remove = async (entryId: string) => {
    try {
      await threatsApi.disallow(entryId);
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <PageHeader title={t('threats.allowlist.title')} />
      <p className="muted">{t('threats.allowlist.intro')}</p>
      {canWrite ? (
        <form className="panel form-inline allow-form" onSubmit={(e) => void add(e)}>
          <TextField
            label={t('threats.allowlist.cidr')}
            value={cidr}
            required
            maxLength={64}
            placeholder="198.51.100.0/24"
            onChange={(e) => setCidr(e.target.value)}
            error={fieldError(formError, 'cidr')}
          />
          <TextField
            label={t('threats.col.reason')}
            value={reason}
            required
            minLength={3}
            maxLength={300}
            className="field-grow"
            onChange={(e) => setReason(e.target.value)}
            error={fieldError(formError, 'reason')}
          />
          <button type="submit" className="btn btn-primary">
            {t('threats.allowlist.add')}
          </button>
          <ProblemAlert error={formError} claimed={['cidr', 'reason']} />
        </form>
      ) : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="allowlist-table"
          columns={[
            t('threats.allowlist.cidr'),
            t('threats.col.reason'),
            t('threats.allowlist.source'),
            t('threats.col.since'),
            ...(canWrite ? [t('threats.col.actions')] : []),
          ]}
          empty={t('threats.allowlist.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((e) => (
            <tr key={e.id ?? `config:${e.cidr}`}>
              <td className="mono strong">{e.cidr}</td>
              <td className="wrap">{e.reason}</td>
              <td>
                <span
                  className={`badge ${e.source === 'config' ? 'badge-neutral' : 'badge-info'}`}
                  title={e.createdBy ?? undefined}
                >
                  {t(`threats.allowlist.source.${e.source}`)}
                </span>
              </td>
              <td>{e.createdAt ? <Ago at={e.createdAt} /> : <span className="muted">–</span>}</td>
              {canWrite ? (
                <td className="cell-action">
                  {e.id ? (
                    <ConfirmButton
                      label={t('threats.allowlist.remove')}
                      question={t('threats.allowlist.confirmRemove', { cidr: e.cidr })}
                      onConfirm={() => void remove(e.id ?? '')}
                    />
                  ) : (
                    <span className="muted small" title={t('threats.allowlist.configHint')}>
                      {t('threats.allowlist.fromConfig')}
                    </span>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}
