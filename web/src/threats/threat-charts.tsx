/**
 * The threats pages' pictures as plain SVG drawn by React (no chart library; the CSP allows SVG attributes, not inline
 * styles). Colours come from the `scn-*` classes in styles/threats.css.
 */
import { useI18n } from '../i18n/i18n.tsx';
import { scenarioClass } from './threat-badges.tsx';
import type { Overview } from './threats.api.ts';

const HOUR = 3_600_000;
const W = 1100;
const H = 220;
const LEFT = 40;
const BOTTOM = 22;
const TOP = 8;

/** A round axis maximum at or above `n` (1, 2, 5 × 10^k). */
function niceMax(n: number): number {
  // Small counts get an even maximum, so the half-way line is a whole number of alerts.
  if (n <= 6) return Math.max(2, n + (n % 2));
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/**
 * Alerts per hour as stacked columns, one colour per scenario (in `scenarios` order, which the legend shares). Empty
 * hours stay as gaps so a quiet night reads as quiet; every column segment has a tooltip with its figures.
 */
export function StackedHourChart({
  overview,
  scenarios,
  label,
}: {
  overview: Pick<Overview, 'timeline' | 'from' | 'to'>;
  scenarios: string[];
  label: string;
}) {
  const { locale, timeZone } = useI18n();
  const start = Math.floor(Date.parse(overview.from) / HOUR) * HOUR;
  const end = Math.floor(Date.parse(overview.to) / HOUR) * HOUR;
  const n = Math.max(1, Math.round((end - start) / HOUR) + 1);
  const cols = Array.from({ length: n }, () => new Map<string, number>());
  for (const p of overview.timeline) {
    const i = Math.round((Date.parse(p.hour) - start) / HOUR);
    const col = cols[i];
    if (col) col.set(p.scenario, (col.get(p.scenario) ?? 0) + p.alerts);
  }
  const totals = cols.map((c) => [...c.values()].reduce((a, b) => a + b, 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotW = W - LEFT;
  const plotH = H - TOP - BOTTOM;
  const bw = plotW / n;
  const gap = bw > 6 ? 1.5 : 0.5;
  const multiDay = n > 36;
  const fmt = new Intl.DateTimeFormat(locale, {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    ...(multiDay ? { day: 'numeric', month: 'short' } : {}),
  });
  // Labels on a steady rhythm: every day (same hour) over several days, else about a dozen along the axis.
  const labelEvery = n > 100 ? 24 : multiDay ? 12 : Math.max(1, Math.ceil(n / 12));
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  return (
    <svg className="threat-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid="threats-chart">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={LEFT} x2={W} y1={y(max * f)} y2={y(max * f)} className={f === 0 ? 'axis' : 'grid'} />
          <text x={LEFT - 6} y={y(max * f) + 4} className="axis-label" textAnchor="end">
            {Number.isInteger(max * f) ? max * f : (max * f).toFixed(1)}
          </text>
        </g>
      ))}
      {cols.map((col, i) => {
        let acc = 0;
        const x = LEFT + i * bw + gap / 2;
        const hour = new Date(start + i * HOUR);
        return (
          <g key={i}>
            {scenarios.map((s, si) => {
              const v = col.get(s);
              if (!v) return null;
              const y1 = y(acc + v);
              const h = y(acc) - y1;
              acc += v;
              return (
                <rect key={s} x={x} y={y1} width={Math.max(1, bw - gap)} height={Math.max(1, h)} className={scenarioClass(si)}>
                  <title>{`${fmt.format(hour)} · ${s}: ${v}`}</title>
                </rect>
              );
            })}
            {i % labelEvery === 0 ? (
              <text x={LEFT + i * bw + bw / 2} y={H - 6} className="axis-label" textAnchor="middle">
                {fmt.format(hour)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** The chart's key: a colour swatch, the scenario and its alert count. */
export function ScenarioLegend({ items }: { items: { scenario: string; alerts: number }[] }) {
  const { number } = useI18n();
  return (
    <ul className="scenario-legend" data-testid="scenario-legend">
      {items.map((s, i) => (
        <li key={s.scenario}>
          <svg width="12" height="12" aria-hidden="true" className="swatch">
            <rect width="12" height="12" rx="2" className={scenarioClass(i)} />
          </svg>
          <span className="mono">{s.scenario}</span> <span className="muted">{number(s.alerts)}</span>
        </li>
      ))}
    </ul>
  );
}

/** A thin horizontal bar for a table cell: `value` out of `max`. */
export function MeterBar({ value, max, className = 'meter-fill' }: { value: number; max: number; className?: string }) {
  const w = max > 0 ? Math.max(2, Math.round((value / max) * 100)) : 0;
  return (
    <svg className="meter" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
      <rect width="100" height="8" rx="2" className="meter-track" />
      <rect width={w} height="8" rx="2" className={className} />
    </svg>
  );
}
