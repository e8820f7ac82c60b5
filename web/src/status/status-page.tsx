import { useEffect, useState } from 'react';
import { LanguageSwitch } from '../app/header-controls.tsx';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { statusApi, type ComponentState, type StatusComponent, type StatusDocument } from './status.api.ts';
import './status.css';

/** Seconds between refreshes of an open page (the server caches for 30 s, so faster would show nothing new). */
const REFRESH_S = 60;
const BAR_W = 6;
const BAR_GAP = 2;
const BAR_H = 28;

/** Colour band of a day's bar: no data, ≥ 99.9 %, ≥ 99 %, ≥ 95 %, below. */
export function band(uptime: number | null): 'none' | 'ok' | 'minor' | 'major' | 'bad' {
  if (uptime === null) return 'none';
  if (uptime >= 99.9) return 'ok';
  if (uptime >= 99) return 'minor';
  if (uptime >= 95) return 'major';
  return 'bad';
}

const STATE_KEY: Record<ComponentState, MessageKey> = {
  operational: 'status.state.operational',
  degraded: 'status.state.degraded',
  outage: 'status.state.outage',
};
const BANNER_KEY: Record<ComponentState, MessageKey> = {
  operational: 'status.banner.operational',
  degraded: 'status.banner.degraded',
  outage: 'status.banner.outage',
};

/** 90 SVG bars, one per day, oldest on the left; each has a title tooltip with the date and uptime. */
function UptimeBars({ c }: { c: StatusComponent }) {
  const { t, locale } = useI18n();
  const pct = (n: number) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n)} %`;
  const day = (d: string) =>
    new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
      new Date(`${d}T00:00:00Z`),
    );
  const width = c.days.length * (BAR_W + BAR_GAP) - BAR_GAP;
  return (
    <svg
      className="status-bars"
      viewBox={`0 0 ${width} ${BAR_H}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={t('status.barsLabel', { name: c.name, uptime: c.uptime90 === null ? t('status.noData') : pct(c.uptime90) })}
    >
      {c.days.map((d, i) => (
        <rect
          key={d.date}
          className={`status-bar status-bar-${band(d.uptime)}`}
          x={i * (BAR_W + BAR_GAP)}
          y={0}
          width={BAR_W}
          height={BAR_H}
          rx={1.5}
          data-date={d.date}
        >
          <title>{`${day(d.date)}: ${d.uptime === null ? t('status.noData') : pct(d.uptime)}`}</title>
        </rect>
      ))}
    </svg>
  );
}

/**
 * The public status page at /status: rendered by main.tsx instead of the console, so it needs no session and calls
 * only `GET /api/v1/status`. Provider name, overall banner, per component 90 daily uptime bars, open incidents.
 */
export function StatusPage() {
  const { t, dateTime, locale } = useI18n();
  const [doc, setDoc] = useState<StatusDocument | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let ctl: AbortController | undefined;
    const load = () => {
      ctl?.abort();
      ctl = new AbortController();
      statusApi.get(ctl.signal).then(
        (d) => {
          setDoc(d);
          setFailed(false);
        },
        (e: unknown) => {
          if (!(e instanceof DOMException && e.name === 'AbortError')) setFailed(true);
        },
      );
    };
    load();
    const timer = setInterval(load, REFRESH_S * 1000);
    return () => {
      clearInterval(timer);
      ctl?.abort();
    };
  }, []);

  const title = doc?.title ?? 'Skjold';
  useEffect(() => {
    document.title = `${t('status.title')} · ${title}`;
  }, [t, title]);

  const pct = (n: number) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n)} %`;

  return (
    <div className="status-layout">
      <header className="status-top">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name" data-testid="status-provider">
            {title}
          </span>
        </span>
        <span className="status-top-label">{t('status.title')}</span>
        <span className="spacer" />
        <LanguageSwitch />
      </header>
      <main id="main" className="status-main">
        {failed && !doc ? (
          <p className="status-banner status-banner-outage" role="alert">
            {t('status.unreachable')}
          </p>
        ) : null}
        {!doc && !failed ? (
          <p className="muted centered" aria-live="polite">
            {t('app.loading')}
          </p>
        ) : null}
        {doc ? (
          <>
            <p className={`status-banner status-banner-${doc.state}`} data-testid="status-banner" aria-live="polite">
              {t(BANNER_KEY[doc.state])}
            </p>

            {doc.incidents.length > 0 ? (
              <section className="status-card" aria-labelledby="status-incidents">
                <h2 id="status-incidents">{t('status.incidents')}</h2>
                <ul className="status-incidents">
                  {doc.incidents.map((i) => (
                    <li key={i.id} className="status-incident">
                      <strong>{t('status.incidentTitle', { component: i.component })}</strong>
                      <span className={`status-pill status-pill-${i.state}`}>{t(`status.incident.${i.state}`)}</span>
                      <span className="muted">
                        {t('status.since', { time: dateTime(i.startedAt, false) })}
                        {i.updatedAt ? ` · ${t('status.identifiedAt', { time: dateTime(i.updatedAt, false) })}` : ''}
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            ) : null}

            <section className="status-card" aria-labelledby="status-components">
              <h2 id="status-components">{t('status.components')}</h2>
              {doc.components.length === 0 ? <p className="muted">{t('status.noComponents')}</p> : null}
              <ul className="status-components">
                {doc.components.map((c) => (
                  <li key={c.name} className="status-component" data-testid="status-component">
                    <div className="status-component-head">
                      <strong>{c.name}</strong>
                      <span className={`status-state status-state-${c.state}`}>{t(STATE_KEY[c.state])}</span>
                    </div>
                    <UptimeBars c={c} />
                    <div className="status-axis muted">
                      <span>{t('status.daysAgo')}</span>
                      <span>{c.uptime90 === null ? t('status.noData') : t('status.uptime', { uptime: pct(c.uptime90) })}</span>
                      <span>{t('status.today')}</span>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
            <p className="muted status-updated">{t('status.updated', { time: dateTime(doc.generatedAt) })}</p>
          </>
        ) : null}
      </main>
    </div>
  );
}
