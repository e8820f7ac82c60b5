import { Link, usePath } from '../app/router.tsx';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { AlertDetailPage } from './alert-detail.tsx';
import { AlertsPage } from './alerts-page.tsx';
import { AllowlistPage } from './allowlist-page.tsx';
import { DecisionsPage } from './decisions-page.tsx';
import { FeedsPage } from './feeds-page.tsx';
import { OverviewPage } from './overview-page.tsx';
import '../oncall/paging.css';
import '../styles/threats.css';

const TABS: { path: string; title: MessageKey }[] = [
  { path: '/threats', title: 'threats.tab.overview' },
  { path: '/threats/alerts', title: 'threats.tab.alerts' },
  { path: '/threats/decisions', title: 'threats.tab.decisions' },
  { path: '/threats/feeds', title: 'threats.tab.feeds' },
  { path: '/threats/allowlist', title: 'threats.tab.allowlist' },
];

/** /threats and its sub-pages: the live view, alerts (and one alert), decisions, feeds and the allowlist. */
export function ThreatsSection() {
  const { t } = useI18n();
  const path = usePath().replace(/\/+$/, '');
  const alertId = path.startsWith('/threats/alerts/') ? decodeURIComponent(path.slice('/threats/alerts/'.length)) : '';
  const current = alertId ? '/threats/alerts' : (TABS.find((tab) => tab.path === path)?.path ?? '/threats');
  return (
    <>
      <nav className="subnav" aria-label={t('threats.tab.label')}>
        <ul>
          {TABS.map((tab) => (
            <li key={tab.path}>
              <Link to={tab.path} aria-current={tab.path === current ? 'page' : undefined}>
                {t(tab.title)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {alertId ? <AlertDetailPage id={alertId} /> : null}
      {!alertId && current === '/threats/alerts' ? <AlertsPage /> : null}
      {current === '/threats/decisions' ? <DecisionsPage /> : null}
      {current === '/threats/feeds' ? <FeedsPage /> : null}
      {current === '/threats/allowlist' ? <AllowlistPage /> : null}
      {current === '/threats' ? <OverviewPage /> : null}
    </>
  );
}
