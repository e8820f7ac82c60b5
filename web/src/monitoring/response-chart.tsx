/**
 * Response-time charts as plain SVG drawn by React (no chart library; the CSP allows SVG elements, not inline styles).
 * Colours come from classes in monitoring.css.
 */

/** A small line of hourly averages; gaps (null) break the line. */
export function Sparkline({ values, label, width = 120, height = 28 }: { values: (number | null)[]; label: string; width?: number; height?: number }) {
  const max = Math.max(1, ...values.filter((v): v is number => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) segments.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(' '));
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      {segments.map((pts, i) =>
        pts.includes(' ') ? <polyline key={i} points={pts} fill="none" strokeWidth="1.5" /> : <circle key={i} cx={pts.split(',')[0]} cy={pts.split(',')[1]} r="1.5" />,
      )}
    </svg>
  );
}

/** One bar per check (height = response time; failures drawn full height in the failure colour). */
export function CheckBars({ items, label, height = 120 }: { items: { ok: boolean; responseMs: number | null; at: string }[]; label: string; height?: number }) {
  const width = 720;
  const max = Math.max(1, ...items.map((i) => i.responseMs ?? 0));
  const bw = items.length ? width / items.length : width;
  return (
    <svg className="check-bars" viewBox={`0 0 ${width} ${height + 16}`} role="img" aria-label={label} preserveAspectRatio="none">
      <line x1="0" y1={height} x2={width} y2={height} className="axis" />
      {items.map((it, i) => {
        const h = it.ok ? Math.max(2, ((it.responseMs ?? 0) / max) * (height - 4)) : height - 4;
        return (
          <rect key={it.at + String(i)} x={i * bw + 0.5} y={height - h} width={Math.max(1, bw - 1)} height={h} className={it.ok ? 'bar-ok' : 'bar-bad'}>
            <title>{`${it.at}: ${it.ok ? `${it.responseMs ?? '–'} ms` : 'failed'}`}</title>
          </rect>
        );
      })}
      <text x="2" y={height + 13} className="axis-label">
        0
      </text>
      <text x={width - 2} y="10" textAnchor="end" className="axis-label">
        {`${max} ms`}
      </text>
    </svg>
  );
}
