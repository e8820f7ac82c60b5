import { useCallback, useEffect, useState } from 'react';
import { Link } from '../../app/router.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { DISCREPANCIES, accountsApi, type SystemAccountsSummary } from './accounts.api.ts';
import './accounts.css';

/** /access/accounts: every system with its imported accounts, how many do not match a grant, and the last import. */
export function AccountsPage() {
  const { t, dateTime } = useI18n();
  const [items, setItems] = useState<SystemAccountsSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setItems((await accountsApi.summary()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.accounts.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <p className="muted">{t('access.accounts.intro')}</p>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="account-systems-table"
          columns={[
            t('access.accounts.col.system'),
            t('access.accounts.col.accounts'),
            t('access.accounts.col.discrepancies'),
            t('access.accounts.col.lastImport'),
          ]}
          empty={t('access.accounts.systems.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((s) => {
            const bad = DISCREPANCIES.filter((d) => s.discrepancies[d] > 0);
            return (
              <tr key={s.systemId} className={bad.length ? 'account-discrepancy' : undefined}>
                <td>
                  <Link to={`/access/accounts/${s.systemId}`}>{s.systemName}</Link>
                </td>
                <td>{s.accounts}</td>
                <td>
                  {bad.length === 0 ? (
                    <Badge tone={s.lastImport ? 'ok' : 'neutral'}>
                      {s.lastImport ? t('access.accounts.allGranted') : t('access.accounts.neverImported')}
                    </Badge>
                  ) : (
                    bad.map((d) => (
                      <Badge key={d} tone={d === 'excessive' ? 'warn' : 'bad'}>
                        {t(`access.accounts.discrepancy.${d}`)}: {s.discrepancies[d]}
                      </Badge>
                    ))
                  )}
                </td>
                <td className="nowrap">
                  {s.lastImport ? `${dateTime(s.lastImport.receivedAt)} (${s.lastImport.source.toUpperCase()})` : '—'}
                </td>
              </tr>
            );
          })}
        </ListTable>
      ) : null}
    </>
  );
}
