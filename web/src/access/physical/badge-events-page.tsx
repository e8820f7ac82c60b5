import { useCallback, useEffect, useState } from 'react';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../../app/ui.tsx';
import { useSession } from '../../app/session.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { BadgeImport } from './badge-import.tsx';
import { BadgesPanel } from './badges-panel.tsx';
import { physicalApi, type BadgeEvent, type Site } from './physical.api.ts';
import './physical.css';

const CHART_W = 640;
const CHART_H = 140;
const CHART_TOP = 10;
const CHART_BOTTOM = 18;
const CHART_LEFT = 28;

/** Granted (green) and denied (red) badge uses per day, stacked, as plain SVG. */
export function BadgeDayChart({ days }: { days: { day: string; granted: number; denied: number }[] }) {
  const { t } = useI18n();
  const max = Math.max(1, ...days.map((d) => d.granted + d.denied));
  const slot = (CHART_W - CHART_LEFT) / Math.max(1, days.length);
  const h = CHART_H - CHART_TOP - CHART_BOTTOM;
  const y = (n: number) => (n / max) * h;
  const total = days.reduce((n, d) => n + d.granted + d.denied, 0);
  return (
    <figure>
      <svg
        className="badge-chart"
        viewBox={`0 0 ${CHART_W} ${CHART_H}`}
        role="img"
        aria-label={t('access.physical.chart.label', { n: total })}
        data-testid="badge-chart"
      >
        <line className="axis" x1={CHART_LEFT} x2={CHART_W} y1={CHART_H - CHART_BOTTOM} y2={CHART_H - CHART_BOTTOM} />
        <line className="axis" x1={CHART_LEFT} x2={CHART_LEFT} y1={CHART_TOP} y2={CHART_H - CHART_BOTTOM} />
        <text className="axis-label" x={CHART_LEFT - 4} y={CHART_TOP + 8} textAnchor="end">
          {max}
        </text>
        <text className="axis-label" x={CHART_LEFT - 4} y={CHART_H - CHART_BOTTOM} textAnchor="end">
          0
        </text>
        {days.map((d, i) => {
          const x = CHART_LEFT + i * slot + slot * 0.15;
          const w = slot * 0.7;
          const base = CHART_H - CHART_BOTTOM;
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.granted} / ${d.denied}`}</title>
              <rect className="bar-granted" x={x} width={w} y={base - y(d.granted)} height={y(d.granted)} />
              <rect className="bar-denied" x={x} width={w} y={base - y(d.granted) - y(d.denied)} height={y(d.denied)} />
              {i % Math.ceil(days.length / 8) === 0 ? (
                <text className="axis-label" x={x + w / 2} y={CHART_H - 4} textAnchor="middle">
                  {d.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="small muted">
        <span className="legend-granted" aria-hidden="true" />
        {t('access.physical.result.granted')}
        <span className="legend-denied" aria-hidden="true" />
        {t('access.physical.result.denied')}
      </figcaption>
    </figure>
  );
}

/** /access/badge-events: badge uses, newest first, filterable; denied uses and findings stand out. */
export function BadgeEventsPage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [sites, setSites] = useState<Site[]>([]);
  const [siteId, setSiteId] = useState('');
  const [result, setResult] = useState('');
  const [badge, setBadge] = useState('');
  const [findings, setFindings] = useState('');
  const [items, setItems] = useState<BadgeEvent[] | null>(null);
  const [days, setDays] = useState<{ day: string; granted: number; denied: number }[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    physicalApi.sites().then(
      (r) => setSites(r.items),
      (err: unknown) => setError(err),
    );
  }, []);
  const load = useCallback(async () => {
    try {
      const [ev, pd] = await Promise.all([
        physicalApi.badgeEvents({ siteId, result, badge: badge.trim(), findings, limit: 500 }),
        physicalApi.perDay(30, siteId || undefined),
      ]);
      setItems(ev.items);
      setDays(pd.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [siteId, result, badge, findings]);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.physical.events.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <BadgeDayChart days={days} />
      {session.can('access.import') ? <BadgeImport onImported={() => void load()} /> : null}
      <BadgesPanel />
      <div className="filter-bar" role="search" aria-label={t('access.physical.events.filters')}>
        <SelectField label={t('access.physical.col.site')} value={siteId} onChange={(e) => setSiteId(e.target.value)}>
          <option value="">{t('access.physical.filter.all')}</option>
          {sites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('access.physical.col.result')} value={result} onChange={(e) => setResult(e.target.value)}>
          <option value="">{t('access.physical.filter.all')}</option>
          <option value="granted">{t('access.physical.result.granted')}</option>
          <option value="denied">{t('access.physical.result.denied')}</option>
        </SelectField>
        <SelectField label={t('access.physical.col.findings')} value={findings} onChange={(e) => setFindings(e.target.value)}>
          <option value="">{t('access.physical.filter.all')}</option>
          <option value="true">{t('access.physical.filter.withFindings')}</option>
        </SelectField>
        <TextField
          label={t('access.physical.col.badge')}
          type="search"
          value={badge}
          maxLength={64}
          onChange={(e) => setBadge(e.target.value)}
        />
      </div>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="badge-events-table"
          columns={[
            t('access.physical.col.time'),
            t('access.physical.col.result'),
            t('access.physical.col.badge'),
            t('access.physical.col.person'),
            t('access.physical.col.site'),
            t('access.physical.door'),
            t('access.physical.col.findings'),
          ]}
          empty={t('access.physical.events.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((e) => (
            <tr key={e.id} className={e.result === 'denied' ? 'badge-denied' : undefined} data-result={e.result}>
              <td className="nowrap">{dateTime(e.occurredAt)}</td>
              <td>
                <Badge tone={e.result === 'denied' ? 'bad' : 'ok'}>{t(`access.physical.result.${e.result}`)}</Badge>
              </td>
              <td className="mono">{e.badge}</td>
              <td>{e.personName ?? <span className="muted">{t('access.physical.unknownBadge')}</span>}</td>
              <td>{e.siteName}</td>
              <td>{e.doorName}</td>
              <td>
                {e.findings.map((f) => (
                  <Badge key={f} tone={f === 'leaver' ? 'bad' : 'warn'}>
                    {t(`access.physical.finding.${f}`)}
                  </Badge>
                ))}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}
