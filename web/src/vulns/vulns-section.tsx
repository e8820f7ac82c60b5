import { Link, usePath } from '../app/router.tsx';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { AssetDetailPage } from './asset-detail.tsx';
import { AssetsPage } from './assets-page.tsx';
import { FindingDetailPage } from './finding-detail.tsx';
import { FindingsPage } from './findings-page.tsx';
import { FeedsPage } from './feeds-page.tsx';
import { OverviewPage } from './overview-page.tsx';
import '../oncall/paging.css';
import '../styles/threats.css';
import './vulns.css';

const TABS: { path: string; title: MessageKey }[] = [
  { path: '/vulns', title: 'vulns.tab.overview' },
  { path: '/vulns/findings', title: 'vulns.tab.findings' },
  { path: '/vulns/assets', title: 'vulns.tab.assets' },
  { path: '/vulns/feeds', title: 'vulns.tab.feeds' },
];

/** /vulns and its sub-pages: the SLA overview, findings (and one finding), assets (and one asset), advisory feeds. */
export function VulnsSection() {
  const { t } = useI18n();
  const path = usePath().replace(/\/+$/, '');
  const detail = (prefix: string) => (path.startsWith(prefix) ? decodeURIComponent(path.slice(prefix.length)) : '');
  const findingId = detail('/vulns/findings/');
  const assetId = detail('/vulns/assets/');
  const current = findingId
    ? '/vulns/findings'
    : assetId
      ? '/vulns/assets'
      : (TABS.find((tab) => tab.path === path)?.path ?? '/vulns');
  return (
    <>
      <nav className="subnav" aria-label={t('vulns.tab.label')}>
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
      {findingId ? <FindingDetailPage id={findingId} /> : null}
      {assetId ? <AssetDetailPage id={assetId} /> : null}
      {!findingId && current === '/vulns/findings' ? <FindingsPage /> : null}
      {!assetId && current === '/vulns/assets' ? <AssetsPage /> : null}
      {current === '/vulns/feeds' ? <FeedsPage /> : null}
      {current === '/vulns' ? <OverviewPage /> : null}
    </>
  );
}
