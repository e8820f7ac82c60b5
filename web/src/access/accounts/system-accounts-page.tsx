import { useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { Link } from '../../app/router.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { type Account, type ImportResult, accountsApi } from './accounts.api.ts';
import { ImportResultView } from './import-result.tsx';
import { LdapSourcePanel } from './ldap-source-panel.tsx';
import './accounts.css';

/** Upload a CSV or JSON account list (a file or pasted text). */
function UploadForm({ systemId, onDone }: { systemId: string; onDone: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const { busy, error, submit } = useAction();
  const [result, setResult] = useState<ImportResult | null>(null);
  const onSubmit = submit(async () => {
    setResult(null);
    setResult(await accountsApi.importList(systemId, text));
    onDone();
  });
  return (
    <form className="account-upload" onSubmit={onSubmit} aria-label={t('access.accounts.import.title')}>
      <h2>{t('access.accounts.import.title')}</h2>
      <p className="small muted">{t('access.accounts.import.hint')}</p>
      <div className="field">
        <label htmlFor="account-file">{t('access.accounts.import.file')}</label>
        <input
          id="account-file"
          type="file"
          accept=".csv,.json,text/csv,application/json"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void f.text().then(setText);
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="account-text">{t('access.accounts.import.text')}</label>
        <textarea id="account-text" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      </div>
      <div className="page-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || text.trim() === ''}>
          {t('access.accounts.import.submit')}
        </button>
      </div>
      <ProblemAlert error={error} />
      {result ? <ImportResultView result={result} /> : null}
    </form>
  );
}

/**
 * /access/accounts/<systemId>: the system's accounts with person, grant and discrepancy, the upload form, and the
 * LDAP / Active Directory source with its "Pull now".
 */
export function SystemAccountsPage({ systemId }: { systemId: string }) {
  const { t, dateTime } = useI18n();
  const [items, setItems] = useState<Account[] | null>(null);
  const [showGone, setShowGone] = useState(false);
  const [name, setName] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      const [list, summary] = await Promise.all([accountsApi.accounts(systemId, showGone), accountsApi.summary()]);
      setItems(list.items);
      setName(summary.items.find((s) => s.systemId === systemId)?.systemName);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [systemId, showGone]);
  useEffect(() => void load(), [load]);

  return (
    <>
      <p className="small">
        <Link to="/access/accounts">← {t('access.accounts.back')}</Link>
      </p>
      <PageHeader title={name ? t('access.accounts.system.title', { system: name }) : t('access.accounts.title')}>
        <label className="small">
          <input type="checkbox" checked={showGone} onChange={(e) => setShowGone(e.target.checked)} />{' '}
          {t('access.accounts.showGone')}
        </label>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="accounts-table"
          columns={[
            t('access.accounts.col.account'),
            t('access.accounts.col.person'),
            t('access.accounts.col.grant'),
            t('access.accounts.col.privileged'),
            t('access.accounts.col.lastUsed'),
            t('access.accounts.col.discrepancy'),
          ]}
          empty={t('access.accounts.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((a) => (
            <tr
              key={a.id}
              className={a.goneAt ? 'account-gone' : a.discrepancy ? 'account-discrepancy' : undefined}
              data-discrepancy={a.discrepancy ?? ''}
            >
              <td>
                <span className="mono">{a.account}</span>
                {a.displayName ? <div className="small muted">{a.displayName}</div> : null}
              </td>
              <td>
                {a.person ? (
                  <>
                    {a.person.name}
                    {a.person.status === 'left' ? <div className="small muted">{t('access.accounts.personLeft')}</div> : null}
                  </>
                ) : (
                  <span className="muted">{t('access.accounts.noPerson')}</span>
                )}
              </td>
              <td>
                {a.grant ? (
                  <>
                    {a.grant.level}
                    {a.grant.expiresAt ? (
                      <div className="small muted">{t('access.accounts.until', { at: dateTime(a.grant.expiresAt) })}</div>
                    ) : null}
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td>{a.privileged ? <Badge tone="warn">{t('access.accounts.privileged')}</Badge> : ''}</td>
              <td className="nowrap">
                {a.lastUsedAt ? dateTime(a.lastUsedAt) : <span className="muted">{t('access.accounts.never')}</span>}
              </td>
              <td>
                {a.goneAt ? (
                  <span className="muted">{t('access.accounts.goneAt', { at: dateTime(a.goneAt) })}</span>
                ) : a.disabled ? (
                  <Badge tone="neutral">{t('access.accounts.disabled')}</Badge>
                ) : a.discrepancy ? (
                  <Badge tone={a.discrepancy === 'excessive' ? 'warn' : 'bad'}>
                    {t(`access.accounts.discrepancy.${a.discrepancy}`)}
                  </Badge>
                ) : (
                  <Badge tone="ok">{t('access.accounts.granted')}</Badge>
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      <UploadForm systemId={systemId} onDone={() => void load()} />
      <LdapSourcePanel systemId={systemId} onPulled={() => void load()} />
    </>
  );
}
