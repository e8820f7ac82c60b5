/**
 * The vulnerability pages' pictures as plain SVG drawn by React, like the threats charts (no chart library; the CSP
 * allows SVG attributes, not inline styles). Priority colours come from the `prio-*` classes in vulns.css.
 */
import { useI18n } from '../i18n/i18n.tsx';
import { PRIORITIES, type Priority } from './vulns.api.ts';

/** A round axis maximum at or above `n` (1, 2, 5 × 10^k; small counts even, so the half-way line is whole). */
export function niceMax(n: number): number {
  if (n <= 6) return Math.max(2, n + (n % 2));
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** The SLA tone of a compliance percentage: at or above 95 % good, 80 % warning, below that bad. */
export function complianceTone(percent: number): 'ok' | 'warn' | 'bad' {
  return percent >= 95 ? 'ok' : percent >= 80 ? 'warn' : 'bad';
}

/**
 * SLA compliance as a half-circle gauge with the percentage in the middle (null: nothing was due yet, drawn as an
 * empty track with a dash).
 */
export function SlaGauge({ percent, label, testId }: { percent: number | null; label: string; testId?: string }) {
  const { number } = useI18n();
  const cx = 100;
  const cy = 100;
  const r = 80;
  const p = percent === null ? 0 : Math.min(100, Math.max(0, percent)) / 100;
  const a = Math.PI * p;
  const x = cx - r * Math.cos(a);
  const y = cy - r * Math.sin(a);
  const text = percent === null ? '–' : `${number(Math.round(percent * 10) / 10)} %`;
  return (
    <svg className="vuln-gauge" viewBox="0 0 200 118" role="img" aria-label={`${label}: ${text}`} data-testid={testId}>
      <path d={`M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${cx + r} ${cy}`} className="gauge-track" strokeWidth="18" fill="none" />
      {percent !== null && p > 0 ? (
        <path
          d={`M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`}
          className={`gauge-value gauge-${complianceTone(percent)}`}
          strokeWidth="18"
          fill="none"
        />
      ) : null}
      <text x={cx} y={cy - 8} textAnchor="middle" className="gauge-text">
        {text}
      </text>
    </svg>
  );
}

const BAR_ROW = 28;
const BAR_LEFT = 92;
const BAR_W = 300;

/** Open findings per priority as horizontal bars, each with its count; zero rows stay, so the scale reads honestly. */
export function PriorityBars({
  counts,
  label,
  testId,
}: {
  counts: Partial<Record<Priority, number>>;
  label: string;
  testId?: string;
}) {
  const { t, number } = useI18n();
  const max = niceMax(Math.max(0, ...PRIORITIES.map((p) => counts[p] ?? 0)));
  const w = BAR_LEFT + BAR_W + 60;
  const h = PRIORITIES.length * BAR_ROW + 4;
  return (
    <svg className="vuln-chart vuln-bars" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-testid={testId}>
      {PRIORITIES.map((p, i) => {
        const v = counts[p] ?? 0;
        const y = i * BAR_ROW + 4;
        const bw = (v / max) * BAR_W;
        return (
          <g key={p} data-priority={p}>
            <text x={BAR_LEFT - 8} y={y + 15} textAnchor="end" className="axis-label bar-label">
              {t(`vulns.priority.${p}`)}
            </text>
            <rect x={BAR_LEFT} y={y} width={BAR_W} height={20} rx="3" className="bar-track" />
            {v > 0 ? (
              <rect x={BAR_LEFT} y={y} width={Math.max(3, bw)} height={20} rx="3" className={`prio-${p}`}>
                <title>{`${t(`vulns.priority.${p}`)}: ${number(v)}`}</title>
              </rect>
            ) : null}
            <text x={BAR_LEFT + Math.max(3, bw) + 6} y={y + 15} className="bar-value">
              {number(v)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

const W = 640;
const H = 220;
const LEFT = 40;
const BOTTOM = 26;
const TOP = 10;

function Axis({ max, y }: { max: number; y: (v: number) => number }) {
  return (
    <>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={LEFT} x2={W} y1={y(max * f)} y2={y(max * f)} className={f === 0 ? 'axis' : 'grid'} />
          <text x={LEFT - 6} y={y(max * f) + 4} className="axis-label" textAnchor="end">
            {Number.isInteger(max * f) ? max * f : (max * f).toFixed(1)}
          </text>
        </g>
      ))}
    </>
  );
}

/** One column per age bucket, stacked by priority (critical at the bottom, where the eye starts). */
export function AgeChart({
  buckets,
  label,
  testId,
}: {
  buckets: { label: string; counts: Partial<Record<Priority, number>> }[];
  label: string;
  testId?: string;
}) {
  const { t, number } = useI18n();
  const totals = buckets.map((b) => PRIORITIES.reduce((s, p) => s + (b.counts[p] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotH = H - TOP - BOTTOM;
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const n = Math.max(1, buckets.length);
  const slot = (W - LEFT) / n;
  const bw = Math.min(70, slot * 0.6);
  return (
    <svg className="vuln-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid={testId}>
      <Axis max={max} y={y} />
      {buckets.map((b, i) => {
        const x = LEFT + i * slot + (slot - bw) / 2;
        let acc = 0;
        return (
          <g key={b.label} data-bucket={b.label}>
            {PRIORITIES.map((p) => {
              const v = b.counts[p] ?? 0;
              if (!v) return null;
              const y1 = y(acc + v);
              const hgt = y(acc) - y1;
              acc += v;
              return (
                <rect key={p} x={x} y={y1} width={bw} height={Math.max(1, hgt)} className={`prio-${p}`}>
                  <title>{`${b.label} · ${t(`vulns.priority.${p}`)}: ${number(v)}`}</title>
                </rect>
              );
            })}
            {totals[i] ? (
              <text x={x + bw / 2} y={y(totals[i] ?? 0) - 4} textAnchor="middle" className="bar-value">
                {number(totals[i] ?? 0)}
              </text>
            ) : null}
            <text x={x + bw / 2} y={H - 8} textAnchor="middle" className="axis-label">
              {b.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** The priority colours' key. */
export function PriorityLegend() {
  const { t } = useI18n();
  return (
    <ul className="scenario-legend" aria-hidden="true">
      {PRIORITIES.map((p) => (
        <li key={p}>
          <svg width="12" height="12" className="swatch">
            <rect width="12" height="12" rx="2" className={`prio-${p}`} />
          </svg>
          {t(`vulns.priority.${p}`)}
        </li>
      ))}
    </ul>
  );
}

/**
 * Findings opened and closed per week as paired columns (opened first, in red; closed in green), so a backlog that
 * grows shows as red standing taller than green week after week.
 */
export function TrendChart({
  weeks,
  label,
  testId,
}: {
  weeks: { week: string; opened: number; closed: number }[];
  label: string;
  testId?: string;
}) {
  const { t, number, locale, timeZone } = useI18n();
  const max = niceMax(Math.max(0, ...weeks.map((w) => Math.max(w.opened, w.closed))));
  const plotH = H - TOP - BOTTOM;
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const n = Math.max(1, weeks.length);
  const slot = (W - LEFT) / n;
  const bw = Math.min(22, slot * 0.36);
  const fmt = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone });
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  const weekText = (w: string) => {
    const d = Date.parse(w);
    return Number.isNaN(d) ? w : fmt.format(d);
  };
  return (
    <svg className="vuln-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid={testId}>
      <Axis max={max} y={y} />
      {weeks.map((w, i) => {
        const x = LEFT + i * slot + slot / 2;
        const week = weekText(w.week);
        return (
          <g key={w.week}>
            {w.opened ? (
              <rect x={x - bw - 1} y={y(w.opened)} width={bw} height={Math.max(1, y(0) - y(w.opened))} className="trend-opened">
                <title>{`${week} · ${t('vulns.overview.opened')}: ${number(w.opened)}`}</title>
              </rect>
            ) : null}
            {w.closed ? (
              <rect x={x + 1} y={y(w.closed)} width={bw} height={Math.max(1, y(0) - y(w.closed))} className="trend-closed">
                <title>{`${week} · ${t('vulns.overview.closed')}: ${number(w.closed)}`}</title>
              </rect>
            ) : null}
            {i % labelEvery === 0 ? (
              <text x={x} y={H - 8} textAnchor="middle" className="axis-label">
                {week}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** The trend chart's key. */
export function TrendLegend({ opened, closed }: { opened: number; closed: number }) {
  const { t, number } = useI18n();
  return (
    <ul className="scenario-legend">
      <li>
        <svg width="12" height="12" aria-hidden="true" className="swatch">
          <rect width="12" height="12" rx="2" className="trend-opened" />
        </svg>
        {t('vulns.overview.opened')} <span className="muted">{number(opened)}</span>
      </li>
      <li>
        <svg width="12" height="12" aria-hidden="true" className="swatch">
          <rect width="12" height="12" rx="2" className="trend-closed" />
        </svg>
        {t('vulns.overview.closed')} <span className="muted">{number(closed)}</span>
      </li>
    </ul>
  );
}
