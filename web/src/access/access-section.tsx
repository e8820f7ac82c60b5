import { Link, usePath } from '../app/router.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ACCOUNTS_TABS } from './accounts.tabs.tsx';
import { PEOPLE_TABS } from './people.tabs.tsx';
import { PHYSICAL_TABS } from './physical.tabs.tsx';
import { REVIEWS_TABS } from './reviews.tabs.tsx';
import '../oncall/paging.css';
import '../styles/threats.css';

const TABS = [...PEOPLE_TABS, ...ACCOUNTS_TABS, ...PHYSICAL_TABS, ...REVIEWS_TABS];

/** /access and its sub-pages: people, systems, grants, privileged list, accounts, sites and badges, reviews. */
export function AccessSection() {
  const { t } = useI18n();
  const path = usePath().replace(/\/+$/, '');
  // The tab whose path is the longest prefix of the address; /access itself shows the first tab.
  const current =
    TABS.filter((tab) => path === tab.path || path.startsWith(`${tab.path}/`)).sort((a, b) => b.path.length - a.path.length)[0] ??
    TABS[0];
  const rest = current && path.startsWith(`${current.path}/`) ? decodeURIComponent(path.slice(current.path.length + 1)) : '';
  return (
    <>
      <nav className="subnav" aria-label={t('access.tab.label')}>
        <ul>
          {TABS.map((tab) => (
            <li key={tab.path}>
              <Link to={tab.path} aria-current={tab === current ? 'page' : undefined}>
                {t(tab.title)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {current ? current.render(rest) : null}
    </>
  );
}
