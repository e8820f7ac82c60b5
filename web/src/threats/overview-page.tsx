import { useCallback, useEffect, useState } from 'react';
import { Link } from '../app/router.tsx';
import { PageHeader, ProblemAlert, ListTable } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { MeterBar, ScenarioLegend, StackedHourChart } from './threat-charts.tsx';
import { GeoText } from './threat-badges.tsx';
import { threatsApi, type Overview } from './threats.api.ts';

const REFRESH_MS = 15_000;
const WINDOWS = [6, 24, 72, 168] as const;

/** /threats: the live view of attacks, refreshed every 15 s while it is open. */
export function OverviewPage() {
  const i18n = useI18n();
  const { t, number } = i18n;
  const [hours, setHours] = useState<number>(24);
  const [o, setO] = useState<Overview | null>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setO(await threatsApi.overview(hours));
      setLoadedAt(Date.now());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [hours]);
  useEffect(() => {
    void load();
    // Skip the refresh while the tab is hidden; the next visible tick catches up.
    const timer = setInterval(() => {
      if (!document.hidden) void load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const scenarios = o?.byScenario.map((s) => s.scenario) ?? [];
  const maxIp = o?.topIps[0]?.alerts ?? 0;
  const maxNet = o?.topNetworks[0]?.alerts ?? 0;
  const s = o?.stats ?? null;
  return (
    <>
      <PageHeader title={t('threats.overview.title')}>
        {loadedAt ? (
          <span className="muted small" aria-live="off">
            {t('threats.overview.autoRefresh')} · {t('threats.overview.updatedAt', { time: i18n.dateTime(loadedAt) })}
          </span>
        ) : null}
        <div className="range-switch" role="group" aria-label={t('threats.overview.window')}>
          {WINDOWS.map((h) => (
            <button
              key={h}
              type="button"
              className={h === hours ? 'on' : undefined}
              aria-pressed={h === hours}
              onClick={() => setHours(h)}
            >
              {h < 48 ? t('threats.overview.hours', { n: h }) : t('threats.overview.days', { n: h / 24 })}
            </button>
          ))}
        </div>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <ProblemAlert error={error} />
      {o === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {o ? (
        <>
          <div className="threat-stats" data-testid="threats-totals">
            <Stat
              label={t('threats.overview.alerts')}
              value={number(o.totals.alerts)}
              tone={o.totals.alerts ? 'warn' : undefined}
            />
            <Stat label={t('threats.overview.paged')} value={number(o.totals.paged)} tone={o.totals.paged ? 'bad' : undefined} />
            <Stat label={t('threats.overview.activeBans')} value={number(o.totals.activeDecisions)} link="/threats/decisions" />
            <Stat label={t('threats.overview.simulatedBans')} value={number(o.totals.simulatedDecisions)} />
            <Stat
              label={t('threats.overview.attackers')}
              value={number(o.topIps.length)}
              sub={o.topIps.length >= 20 ? t('threats.overview.top20') : undefined}
            />
          </div>
          <section className="panel">
            <h2>{t('threats.overview.chartTitle', { n: hours })}</h2>
            {o.timeline.length ? (
              <>
                <StackedHourChart overview={o} scenarios={scenarios} label={t('threats.overview.chartTitle', { n: hours })} />
                <ScenarioLegend items={o.byScenario} />
              </>
            ) : (
              <p className="empty-state" data-testid="threats-quiet">
                {t('threats.overview.quiet', { n: hours })}
              </p>
            )}
          </section>
          <div className="threat-columns">
            <section className="panel">
              <h2>{t('threats.overview.topIps')}</h2>
              <ListTable
                testId="top-ips"
                columns={[t('threats.col.ip'), t('threats.col.origin'), t('threats.col.alerts')]}
                empty={t('threats.overview.noAttackers')}
                isEmpty={o.topIps.length === 0}
              >
                {o.topIps.map((ip) => (
                  <tr key={ip.ip}>
                    <td className="nowrap">
                      <Link to={`/threats/alerts?ip=${encodeURIComponent(ip.ip)}`} className="mono strong">
                        {ip.ip}
                      </Link>
                      {ip.listedBy.map((f) => (
                        <span key={f} className="tag" title={t('threats.listedBy')}>
                          {f}
                        </span>
                      ))}
                      <div className="sub-scenarios">{ip.scenarios.join(', ')}</div>
                    </td>
                    <td>
                      <GeoText geo={ip.geo} />
                    </td>
                    <td>
                      <div className="meter-cell">
                        <span className="num">{number(ip.alerts)}</span>
                        <MeterBar value={ip.alerts} max={maxIp} />
                      </div>
                    </td>
                  </tr>
                ))}
              </ListTable>
            </section>
            <section className="panel">
              <h2>{t('threats.overview.topNetworks')}</h2>
              <ListTable
                testId="top-networks"
                columns={[t('threats.col.network'), t('threats.col.alerts'), t('threats.col.addresses')]}
                empty={t('threats.overview.noAttackers')}
                isEmpty={o.topNetworks.length === 0}
              >
                {o.topNetworks.map((n) => (
                  <tr key={n.network}>
                    <td className="mono nowrap">{n.network}</td>
                    <td>
                      <div className="meter-cell">
                        <span className="num">{number(n.alerts)}</span>
                        <MeterBar value={n.alerts} max={maxNet} className="meter-fill-net" />
                      </div>
                    </td>
                    <td className="num">{number(n.ips)}</td>
                  </tr>
                ))}
              </ListTable>
            </section>
          </div>
          <section className="panel" data-testid="ingestion">
            <h2>{t('threats.overview.ingestion')}</h2>
            {s ? (
              <div className="threat-stats threat-stats-small">
                <Stat label={t('threats.stats.lines')} value={number(s.pipeline?.lines ?? s.processed ?? 0)} />
                <Stat label={t('threats.stats.events')} value={number(s.pipeline?.events ?? 0)} />
                <Stat
                  label={t('threats.stats.unparsable')}
                  value={number(s.pipeline?.unparsable ?? 0)}
                  tone={s.pipeline?.unparsable ? 'warn' : undefined}
                />
                <Stat label={t('threats.stats.listedHits')} value={number(s.pipeline?.listedHits ?? 0)} />
                <Stat label={t('threats.stats.queue')} value={number(s.queue?.depth ?? 0)} />
                <Stat
                  label={t('threats.stats.dropped')}
                  value={number(s.queue?.dropped ?? 0)}
                  tone={s.queue?.dropped ? 'bad' : undefined}
                />
                <Stat
                  label={t('threats.stats.lag')}
                  value={`${(s.ingestLagSeconds ?? 0).toFixed(1)} s`}
                  tone={(s.ingestLagSeconds ?? 0) > 30 ? 'warn' : undefined}
                />
                <Stat label={t('threats.stats.suppressed')} value={number(s.writer?.suppressed ?? 0)} />
              </div>
            ) : (
              <p className="muted">{t('threats.stats.noEngine')}</p>
            )}
          </section>
        </>
      ) : null}
    </>
  );
}

function Stat({
  label,
  value,
  sub,
  tone,
  link,
}: {
  label: string;
  value: string;
  sub?: string | undefined;
  tone?: 'warn' | 'bad' | undefined;
  link?: string;
}) {
  return (
    <div className={`threat-stat${tone ? ` threat-stat-${tone}` : ''}`}>
      <span className="stat-label">{label}</span>
      {link ? (
        <Link to={link} className="stat-value">
          {value}
        </Link>
      ) : (
        <span className="stat-value">{value}</span>
      )}
      {sub ? <span className="muted small">{sub}</span> : null}
    </div>
  );
}
