import { useCallback, useEffect, useState } from 'react';
import { Link } from '../app/router.tsx';
import { ListTable, PageHeader, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { byRisk } from './assets-page.tsx';
import { ExportButtons } from './export-buttons.tsx';
import { ExposureBadge, RiskCounts, durationMsText } from './vuln-badges.tsx';
import { AgeChart, PriorityBars, PriorityLegend, SlaGauge, TrendChart, TrendLegend } from './vuln-charts.tsx';
import {
  AGE_BUCKETS,
  PRIORITIES,
  vulnsApi,
  type Asset,
  type MetricsReport,
  type OperatedBy,
  type PriorityCounts,
} from './vulns.api.ts';

const REFRESH_MS = 60_000;
const TOP_ASSETS = 8;

/** Open findings per priority, summed over the age buckets. */
export function openByPriority(m: MetricsReport): PriorityCounts {
  const out: PriorityCounts = {};
  for (const p of PRIORITIES) out[p] = AGE_BUCKETS.reduce((a, b) => a + (m.openByAge[p]?.[b] ?? 0), 0);
  return out;
}

interface Loaded {
  provider: MetricsReport | undefined;
  customer: MetricsReport | undefined;
  assets: Asset[];
  breached: number;
  near: number;
  kev: number;
}

/**
 * /vulns: how the provider keeps its promise (P13): SLA compliance, what is open by priority and age, the weekly
 * trend, time to patch, and the riskiest assets. Customer-managed assets (P14) follow in their own panel, labelled as
 * outside our SLA and left out of the figures above.
 */
export function OverviewPage() {
  const i18n = useI18n();
  const { t, number } = i18n;
  const [data, setData] = useState<Loaded | null>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const [m, a, breached, near, kev] = await Promise.all([
        vulnsApi.metrics(),
        vulnsApi.assets(),
        vulnsApi.count({ sla: 'breached' }),
        vulnsApi.count({ sla: 'near' }),
        vulnsApi.count({ kev: 'true' }),
      ]);
      setData({ provider: m.provider, customer: m.customer, assets: a.items, breached, near, kev });
      setLoadedAt(Date.now());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    void load();
    // Skip the refresh while the tab is hidden; the next visible tick catches up.
    const timer = setInterval(() => {
      if (!document.hidden) void load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const ageBuckets = (m: MetricsReport) =>
    AGE_BUCKETS.map((b) => ({
      label: t(`vulns.age.${b}`),
      counts: Object.fromEntries(PRIORITIES.map((p) => [p, m.openByAge[p]?.[b] ?? 0])),
    }));
  const p = data?.provider;
  const c = data?.customer;
  const trendTitle = t('vulns.overview.trend', { n: p?.weekly.length ?? 0 });
  return (
    <>
      <PageHeader title={t('vulns.overview.title')}>
        {loadedAt ? (
          <span className="muted small" aria-live="off">
            {t('threats.overview.updatedAt', { time: i18n.dateTime(loadedAt) })}
          </span>
        ) : null}
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
        <ExportButtons />
      </PageHeader>
      <ProblemAlert error={error} />
      {data === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {data && p ? (
        <>
          <div className="threat-stats" data-testid="vulns-totals">
            <Stat label={t('vulns.overview.open')} value={number(p.open)} link="/vulns/findings" />
            <Stat
              label={t('vulns.overview.breached')}
              value={number(data.breached)}
              tone={data.breached ? 'bad' : undefined}
              link="/vulns/findings?sla=breached"
              testId="stat-breached"
            />
            <Stat
              label={t('vulns.overview.near')}
              value={number(data.near)}
              tone={data.near ? 'warn' : undefined}
              link="/vulns/findings?sla=near"
            />
            <Stat
              label={t('vulns.overview.kev')}
              value={number(data.kev)}
              tone={data.kev ? 'bad' : undefined}
              link="/vulns/findings?kev=true"
            />
            <Stat
              label={t('vulns.overview.timeToPatch')}
              value={`${durationMsText(p.timeToPatch.p50Ms, number)} / ${durationMsText(p.timeToPatch.p90Ms, number)}`}
              sub={
                p.timeToPatch.count
                  ? t('vulns.overview.p50p90', { n: number(p.timeToPatch.count) })
                  : t('vulns.overview.noPatches')
              }
              testId="time-to-patch"
            />
            <Stat
              label={t('vulns.overview.timeToDetect')}
              value={`${durationMsText(p.timeToDetect.p50Ms, number)} / ${durationMsText(p.timeToDetect.p90Ms, number)}`}
              sub={
                p.timeToDetect.count
                  ? t('vulns.overview.p50p90', { n: number(p.timeToDetect.count) })
                  : t('vulns.overview.noDetections')
              }
            />
          </div>
          <div className="vuln-grid">
            <section className="panel" data-testid="sla-panel">
              <h2>{t('vulns.overview.compliance')}</h2>
              <SlaGauge percent={p.sla?.percent ?? null} label={t('vulns.overview.compliance')} testId="sla-gauge" />
              <p className="muted small gauge-caption">
                {p.sla?.judged
                  ? t('vulns.overview.complianceOf', { ok: number(p.sla.compliant), n: number(p.sla.judged) })
                  : t('vulns.overview.nothingDue')}
              </p>
            </section>
            <section className="panel">
              <h2>{t('vulns.overview.byPriority')}</h2>
              <PriorityBars counts={openByPriority(p)} label={t('vulns.overview.byPriority')} testId="priority-chart" />
            </section>
            <section className="panel">
              <h2>{t('vulns.overview.byAge')}</h2>
              <AgeChart buckets={ageBuckets(p)} label={t('vulns.overview.byAge')} testId="age-chart" />
              <PriorityLegend />
            </section>
          </div>
          <div className="vuln-grid-2">
            <section className="panel">
              <h2>{trendTitle}</h2>
              <TrendChart
                weeks={p.weekly.map((w) => ({ week: w.start, opened: w.opened, closed: w.closed }))}
                label={trendTitle}
                testId="trend-chart"
              />
              <TrendLegend
                opened={p.weekly.reduce((a, w) => a + w.opened, 0)}
                closed={p.weekly.reduce((a, w) => a + w.closed, 0)}
              />
            </section>
            <section className="panel">
              <h2>{t('vulns.overview.topAssets')}</h2>
              <TopAssets assets={data.assets} side="provider" />
            </section>
          </div>
        </>
      ) : null}
      {data && c ? (
        <section className="panel customer-panel" data-testid="customer-panel">
          <h2>
            {t('vulns.overview.customer')}
            <span className="outside-sla">{t('vulns.sla.outside')}</span>
          </h2>
          <p className="muted small">{t('vulns.overview.customerHint')}</p>
          <div className="vuln-grid-2">
            <div>
              <h3>
                {t('vulns.overview.byPriority')} · {number(c.open)}
              </h3>
              <PriorityBars counts={openByPriority(c)} label={t('vulns.overview.customer')} testId="customer-priority-chart" />
            </div>
            <div>
              <h3>{t('vulns.overview.topAssets')}</h3>
              <TopAssets assets={data.assets} side="customer" />
            </div>
          </div>
          <p className="small button-row">
            <Link to="/vulns/findings?operatedBy=customer">{t('vulns.overview.customerFindings')}</Link>
            <ExportButtons operatedBy="customer" />
          </p>
        </section>
      ) : null}
    </>
  );
}

/** The riskiest assets of one side with open findings. */
function TopAssets({ assets, side }: { assets: Asset[]; side: OperatedBy }) {
  const { t, number } = useI18n();
  const top = assets
    .filter((a) => a.operatedBy === side && a.openFindings.total > 0)
    .sort(byRisk)
    .slice(0, TOP_ASSETS);
  return (
    <ListTable
      testId={`top-assets-${side}`}
      columns={[t('vulns.col.asset'), t('vulns.col.risk'), ...(side === 'provider' ? [t('vulns.col.breaches')] : [])]}
      empty={t('vulns.overview.noOpen')}
      isEmpty={top.length === 0}
    >
      {top.map((a) => (
        <tr key={a.id}>
          <td>
            <Link to={`/vulns/assets/${encodeURIComponent(a.id)}`} className="strong">
              {a.name}
            </Link>{' '}
            <ExposureBadge exposure={a.exposure} />
          </td>
          <td>
            <RiskCounts open={a.openFindings} />
          </td>
          {side === 'provider' ? <td className={`num${a.slaBreached ? ' sla-breached' : ''}`}>{number(a.slaBreached)}</td> : null}
        </tr>
      ))}
    </ListTable>
  );
}

function Stat({
  label,
  value,
  sub,
  tone,
  link,
  testId,
}: {
  label: string;
  value: string;
  sub?: string | undefined;
  tone?: 'warn' | 'bad' | undefined;
  link?: string;
  testId?: string;
}) {
  return (
    <div className={`threat-stat${tone ? ` threat-stat-${tone}` : ''}`} data-testid={testId}>
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
