/**
 * Response-time charts as plain SVG drawn by React (no chart library; the CSP allows SVG elements, not inline styles).
 * Colours come from classes in monitoring.css.
 */

/** A small line of hourly averages; gaps (null) break the line. */
export function Sparkline({
  values,
  label,
  width = 120,
  height = 28,
}: {
  values: (number | null)[];
  label: string;
  width?: number;
  height?: number;
}) {
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
        pts.includes(' ') ? (
          <polyline key={i} points={pts} fill="none" strokeWidth="1.5" />
        ) : (
          <circle key={i} cx={pts.split(',')[0]} cy={pts.split(',')[1]} r="1.5" />
        ),
      )}
    </svg>
  );
}

/** Checks grouped into at most `bars` columns: average response time of the passing ones, failed if any failed. */
function bucket(items: { ok: boolean; responseMs: number | null; at: string }[], bars: number) {
  const size = Math.max(1, Math.ceil(items.length / bars));
  const out: { at: string; ok: boolean; ms: number | null; n: number }[] = [];
  for (let i = 0; i < items.length; i += size) {
    const group = items.slice(i, i + size);
    const times = group.flatMap((g) => (g.ok && g.responseMs !== null ? [g.responseMs] : []));
    out.push({
      at: group[0]!.at,
      ok: group.every((g) => g.ok),
      ms: times.length ? Math.round(times.reduce((a, b) => a + b, 0) / times.length) : null,
      n: group.length,
    });
  }
  return out;
}

/** Response time as columns over the period (a day of checks grouped to at most 144 columns); failures in red. */
export function CheckBars({
  items,
  label,
  height = 120,
}: {
  items: { ok: boolean; responseMs: number | null; at: string }[];
  label: string;
  height?: number;
}) {
  const width = 720;
  const top = 16;
  const cols = bucket(items, 144);
  const max = Math.max(1, ...cols.map((c) => c.ms ?? 0));
  const bw = cols.length ? width / cols.length : width;
  return (
    <svg
      className="check-bars"
      viewBox={`0 0 ${width} ${top + height + 16}`}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      <line x1="0" y1={top + height} x2={width} y2={top + height} className="axis" />
      {cols.map((c, i) => {
        const h = c.ok ? Math.max(2, ((c.ms ?? 0) / max) * height) : height;
        return (
          <rect
            key={c.at}
            x={i * bw + 0.5}
            y={top + height - h}
            width={Math.max(1, bw - 1)}
            height={h}
            className={c.ok ? 'bar-ok' : 'bar-bad'}
          >
            <title>{`${c.at}: ${c.ok ? `${c.ms ?? '–'} ms` : 'failed'} (${c.n})`}</title>
          </rect>
        );
      })}
      <text x="2" y={top + height + 13} className="axis-label">
        0 ms
      </text>
      <text x="2" y="11" className="axis-label">
        {`${max} ms`}
      </text>
    </svg>
  );
}
