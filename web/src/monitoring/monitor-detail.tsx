import { useCallback, useEffect, useState } from 'react';
import { Link, navigate } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { ConfirmButton, PageHeader, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { MonitorStateBadge, targetText } from './monitor-badges.tsx';
import { monitoringApi, type Monitor, type RawResult, type UptimeWindow } from './monitoring.api.ts';
import { CheckBars } from './response-chart.tsx';

const DAY = 86_400_000;

/** One monitor: state, uptime windows, the last 24 hours of checks as a chart and the most recent checks as a table. */
export function MonitorDetail({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [m, setM] = useState<Monitor | null>(null);
  const [results, setResults] = useState<RawResult[]>([]);
  const [uptime, setUptime] = useState<UptimeWindow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const canWrite = session.can('monitors.write');

  const load = useCallback(async () => {
    try {
      const [mon, res, up] = await Promise.all([
        monitoringApi.get(id),
        monitoringApi.results(id, new Date(Date.now() - DAY).toISOString()),
        monitoringApi.uptime(id),
      ]);
      setM(mon);
      setResults(res.items);
      setUptime(up.windows);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await load();
    } catch (err) {
      setError(err);
    }
  };

  if (!m) return error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>;
  const recent = results.slice(-20).reverse();
  return (
    <>
      <p>
        <Link to="/monitors">← {t('monitors.back')}</Link>
      </p>
      <PageHeader title={m.name}>
        <MonitorStateBadge m={m} />
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
        {canWrite ? (
          <>
            <button
              type="button"
              className="btn"
              onClick={() => void act(() => (m.paused ? monitoringApi.resume(m.id) : monitoringApi.pause(m.id)))}
            >
              {m.paused ? t('monitors.resume') : t('monitors.pause')}
            </button>
            <Link to={`/monitors/${m.id}/edit`} className="btn">
              {t('common.edit')}
            </Link>
            <ConfirmButton
              label={t('monitors.delete')}
              question={t('monitors.confirmDelete', { name: m.name })}
              onConfirm={() => void act(async () => (await monitoringApi.remove(m.id), navigate('/monitors')))}
            />
          </>
        ) : null}
      </PageHeader>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      <p className="monitor-target">
        {t(`monitors.type.${m.type}`)} {targetText(m)} · {t('monitors.every', { n: m.definition.intervalSeconds })}
      </p>
      {m.lastError ? <p className="alert alert-error">{m.lastError}</p> : null}
      <div className="monitor-grid" data-testid="uptime">
        {uptime.map((w) => (
          <div key={w.window} className="monitor-stat">
            <span className="stat-label">{t('monitors.uptimeIn', { window: w.window })}</span>
            <span className="stat-value">{w.uptimePercent === null ? '–' : `${w.uptimePercent.toFixed(2)} %`}</span>
            <span className="muted"> {t('monitors.checksFailed', { n: w.checks, failed: w.failures })}</span>
          </div>
        ))}
        <div className="monitor-stat">
          <span className="stat-label">{t('monitors.col.lastCheck')}</span>
          <span className="stat-value">{m.lastResponseMs !== null ? `${m.lastResponseMs} ms` : '–'}</span>
          <span className="muted"> {m.lastCheckAt ? dateTime(m.lastCheckAt) : t('common.never')}</span>
        </div>
      </div>
      <section className="panel">
        <h2>{t('monitors.chartTitle')}</h2>
        {results.length ? (
          <CheckBars items={results} label={t('monitors.chartTitle')} />
        ) : (
          <p className="muted">{t('monitors.noChecks')}</p>
        )}
      </section>
      <section className="panel">
        <h2>{t('monitors.recent')}</h2>
        <div className="table-wrap">
          <table className="table" data-testid="recent-checks">
            <thead>
              <tr>
                <th scope="col">{t('monitors.col.time')}</th>
                <th scope="col">{t('monitors.col.result')}</th>
                <th scope="col">{t('monitors.col.responseTime')}</th>
                <th scope="col">{t('monitors.col.error')}</th>
              </tr>
            </thead>
            <tbody>
              {recent.length === 0 ? (
                <tr>
                  <td colSpan={4} className="empty">
                    {t('monitors.noChecks')}
                  </td>
                </tr>
              ) : null}
              {recent.map((r) => (
                <tr key={r.at + r.location}>
                  <td className="nowrap">{dateTime(r.at)}</td>
                  <td>{r.ok ? t('monitors.ok') : t('monitors.failed')}</td>
                  <td>{r.responseMs === null ? '–' : `${r.responseMs} ms`}</td>
                  <td>{r.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
