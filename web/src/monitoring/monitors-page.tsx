import { useCallback, useEffect, useState } from 'react';
import { Link, navigate, usePath } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { PageHeader, ProblemAlert, ListTable } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { MonitorDetail } from './monitor-detail.tsx';
import { MonitorForm } from './monitor-form.tsx';
import { MonitorStateBadge, targetText } from './monitor-badges.tsx';
import { monitoringApi, type MonitorListItem } from './monitoring.api.ts';
import { Sparkline } from './response-chart.tsx';
import './monitoring.css';

/** /monitors: the list; /monitors/new; /monitors/<id>; /monitors/<id>/edit. */
export function MonitorsPage() {
  const path = usePath();
  const rest = path.startsWith('/monitors/') ? path.slice('/monitors/'.length) : '';
  if (rest === 'new') return <MonitorForm onDone={(id) => navigate(id ? `/monitors/${id}` : '/monitors')} />;
  if (rest.endsWith('/edit'))
    return (
      <MonitorForm id={decodeURIComponent(rest.slice(0, -'/edit'.length))} onDone={(id) => navigate(`/monitors/${id ?? ''}`)} />
    );
  if (rest) return <MonitorDetail id={decodeURIComponent(rest)} />;
  return <MonitorList />;
}

function MonitorList() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [items, setItems] = useState<MonitorListItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setItems((await monitoringApi.list()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    void load();
    // The list is a dashboard: refresh it every 30 s while it is open.
    const timer = setInterval(() => void load(), 30_000);
    return () => clearInterval(timer);
  }, [load]);
  const down = items?.filter((m) => !m.paused && m.state === 'down').length ?? 0;

  return (
    <>
      <PageHeader title={t('monitors.title')}>
        {items ? <span className="muted">{t('monitors.summary', { n: items.length, down })}</span> : null}
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
        {session.can('monitors.write') ? (
          <Link to="/monitors/new" className="btn btn-primary">
            {t('monitors.new')}
          </Link>
        ) : null}
      </PageHeader>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="monitors-table"
          columns={[
            t('monitors.col.name'),
            t('monitors.col.type'),
            t('monitors.col.state'),
            t('monitors.col.uptime'),
            t('monitors.col.responseTime'),
            t('monitors.col.lastCheck'),
          ]}
          empty={t('monitors.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((m) => (
            <tr key={m.id} className={m.paused ? 'row-muted' : undefined}>
              <td>
                <Link to={`/monitors/${m.id}`} className="strong">
                  {m.name}
                </Link>
                <div className="monitor-target">{targetText(m)}</div>
              </td>
              <td>{t(`monitors.type.${m.type}`)}</td>
              <td>
                <MonitorStateBadge m={m} />
                {m.state === 'down' && m.lastError ? <div className="monitor-error">{m.lastError}</div> : null}
              </td>
              <td className="nowrap">
                {m.uptime24h === null ? <span className="muted">–</span> : `${m.uptime24h.toFixed(2)} %`}
              </td>
              <td>
                <Sparkline values={m.spark} label={t('monitors.sparkLabel', { name: m.name })} />
                {m.lastResponseMs !== null ? <span className="muted"> {m.lastResponseMs} ms</span> : null}
              </td>
              <td className="nowrap">
                {m.lastCheckAt ? dateTime(m.lastCheckAt) : <span className="muted">{t('common.never')}</span>}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}
