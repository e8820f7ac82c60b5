import { ListTable, Notice } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import type { ImportResult } from './accounts.api.ts';

/** What one import did: counts, then every rejected row with its line (CSV) or index (JSON), then the accounts gone. */
export function ImportResultView({ result }: { result: ImportResult }) {
  const { t } = useI18n();
  const c = result.counts;
  return (
    <section aria-label={t('access.accounts.import.result')} data-testid="import-result">
      <Notice tone={result.rejected.length ? 'warn' : 'ok'}>
        {result.status === 'unchanged'
          ? t('access.accounts.import.unchanged', { rejected: c.rejected })
          : t('access.accounts.import.applied', {
              added: c.added,
              updated: c.updated,
              unchanged: c.unchanged,
              gone: c.gone,
              rejected: c.rejected,
            })}
      </Notice>
      {result.rejected.length ? (
        <ListTable
          testId="import-rejected"
          columns={[t('access.accounts.col.where'), t('access.accounts.col.account'), t('access.accounts.col.reason')]}
          empty=""
          isEmpty={false}
        >
          {result.rejected.map((r, i) => (
            <tr key={i}>
              <td className="nowrap">
                {r.line !== undefined
                  ? t('access.accounts.import.line', { n: r.line })
                  : t('access.accounts.import.index', { n: r.index ?? 0 })}
              </td>
              <td className="mono">{r.account ?? '—'}</td>
              <td>{r.reason}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      {result.gone.length ? (
        <p className="import-summary">
          {t('access.accounts.import.gone')}: <span className="mono">{result.gone.join(', ')}</span>
        </p>
      ) : null}
    </section>
  );
}
