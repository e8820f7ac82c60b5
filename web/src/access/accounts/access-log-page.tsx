import { useCallback, useEffect, useState } from 'react';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { type LoginEvent, type SystemAccountsSummary, accountsApi } from './accounts.api.ts';
import './accounts.css';

/** /access/access-log: logins to the systems (SSH, control panels), newest first, by system, account and outcome (P11). */
export function AccessLogPage() {
  const { t, dateTime } = useI18n();
  const [systems, setSystems] = useState<SystemAccountsSummary[]>([]);
  const [system, setSystem] = useState('');
  const [account, setAccount] = useState('');
  const [outcome, setOutcome] = useState('');
  const [items, setItems] = useState<LoginEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    accountsApi.summary().then(
      (r) => setSystems(r.items),
      (err: unknown) => setError(err),
    );
  }, []);
  const load = useCallback(async () => {
    try {
      setItems((await accountsApi.loginEvents({ system, account: account.trim(), outcome, limit: 500 })).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [system, account, outcome]);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.accounts.log.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <p className="muted">{t('access.accounts.log.intro')}</p>
      <div className="filter-bar" role="search" aria-label={t('access.accounts.log.filters')}>
        <SelectField label={t('access.accounts.col.system')} value={system} onChange={(e) => setSystem(e.target.value)}>
          <option value="">{t('access.accounts.filter.all')}</option>
          {systems.map((s) => (
            <option key={s.systemId} value={s.systemId}>
              {s.systemName}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('access.accounts.col.account')}
          type="search"
          value={account}
          maxLength={256}
          onChange={(e) => setAccount(e.target.value)}
        />
        <SelectField label={t('access.accounts.col.outcome')} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
          <option value="">{t('access.accounts.filter.all')}</option>
          <option value="succeeded">{t('access.accounts.outcome.succeeded')}</option>
          <option value="failed">{t('access.accounts.outcome.failed')}</option>
        </SelectField>
      </div>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="access-log-table"
          columns={[
            t('access.accounts.col.time'),
            t('access.accounts.col.outcome'),
            t('access.accounts.col.system'),
            t('access.accounts.col.account'),
            t('access.accounts.col.person'),
            t('access.accounts.col.from'),
            t('access.accounts.col.method'),
          ]}
          empty={t('access.accounts.log.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((e) => (
            <tr key={e.id} data-outcome={e.outcome}>
              <td className="nowrap">{dateTime(e.occurredAt, true)}</td>
              <td>
                <Badge tone={e.outcome === 'failed' ? 'bad' : 'ok'}>{t(`access.accounts.outcome.${e.outcome}`)}</Badge>
              </td>
              <td>{e.systemName}</td>
              <td className="mono">{e.account}</td>
              <td>{e.personName ?? <span className="muted">{t('access.accounts.noPerson')}</span>}</td>
              <td className="mono">{e.ip ?? '—'}</td>
              <td>
                {e.method}{' '}
                <span className="small muted">({e.source === 'sshd' ? 'SSH' : t('access.accounts.source.panel')})</span>
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}
