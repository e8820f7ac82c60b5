import { useEffect, useState } from 'react';
import { Badge, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { incidentsApi, type Completeness } from './incidents.api.ts';

/**
 * The daily completeness record (P16) for the last seven UTC days: deviations vs signals registered on incidents,
 * and monitoring's checks expected vs executed, so an auditor can see that nothing was dropped.
 */
export function CompletenessPanel() {
  const { t, number } = useI18n();
  const [data, setData] = useState<Completeness | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    incidentsApi.completeness().then(setData, setError);
  }, []);
  return (
    <section className="panel" data-testid="completeness-panel">
      <h2>{t('incidents.completeness.title')}</h2>
      <p className="muted">{t('incidents.completeness.intro')}</p>
      <ProblemAlert error={error} />
      {data ? (
        <div className="table-wrap">
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">{t('incidents.completeness.day')}</th>
                <th scope="col">{t('incidents.col.source')}</th>
                <th scope="col" className="num">
                  {t('incidents.completeness.deviations')}
                </th>
                <th scope="col" className="num">
                  {t('incidents.completeness.registered')}
                </th>
                <th scope="col" className="num">
                  {t('incidents.completeness.checks')}
                </th>
              </tr>
            </thead>
            <tbody>
              {data.rows.length === 0 ? (
                <tr>
                  <td colSpan={5} className="empty">
                    {t('incidents.completeness.empty')}
                  </td>
                </tr>
              ) : null}
              {data.rows.map((r) => (
                <tr key={`${r.day}|${r.source}`}>
                  <td className="nowrap">{r.day}</td>
                  <td>{r.source}</td>
                  <td className="num">{number(r.deviations)}</td>
                  <td className="num">
                    {r.registered === r.deviations ? (
                      <Badge tone="ok">{number(r.registered)}</Badge>
                    ) : (
                      <Badge tone="bad">{number(r.registered)}</Badge>
                    )}
                  </td>
                  <td className="num">
                    {r.checksExpected === null ? '–' : `${number(r.checksExecuted ?? 0)} / ${number(r.checksExpected)}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
