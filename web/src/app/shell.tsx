import { useEffect, useRef, type ReactNode } from 'react';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { Brand, LanguageSwitch, TimeZoneSelect } from './header-controls.tsx';
import { lazyPage, PageBoundary } from './page-boundary.tsx';
import { Link, navigate, usePath } from './router.tsx';
import { useSession, type Session } from './session.tsx';

// Each section is a chunk of its own, fetched when first opened.
const AccessSection = lazyPage(() => import('../access/access-section.tsx'), 'AccessSection');
const AuditPage = lazyPage(() => import('../audit/audit-page.tsx'), 'AuditPage');
const AccountPage = lazyPage(() => import('../identity/account-page.tsx'), 'AccountPage');
const IncidentsPage = lazyPage(() => import('../incidents/incidents-page.tsx'), 'IncidentsPage');
const MaintenancePage = lazyPage(() => import('../incidents/maintenance-page.tsx'), 'MaintenancePage');
const MonitorsPage = lazyPage(() => import('../monitoring/monitors-page.tsx'), 'MonitorsPage');
const OncallSection = lazyPage(() => import('../oncall/oncall-section.tsx'), 'OncallSection');
const ThreatsSection = lazyPage(() => import('../threats/threats-section.tsx'), 'ThreatsSection');
const TokensPage = lazyPage(() => import('../identity/tokens-page.tsx'), 'TokensPage');
const UsersPage = lazyPage(() => import('../identity/users-page.tsx'), 'UsersPage');
const VulnsSection = lazyPage(() => import('../vulns/vulns-section.tsx'), 'VulnsSection');

interface Page {
  path: string;
  title: MessageKey;
  allowed: (s: Session) => boolean;
  render: () => ReactNode;
}

/** The console's pages, in menu order. A page shows only if the user's permissions allow it; the server checks again. */
export const PAGES: Page[] = [
  { path: '/monitors', title: 'nav.monitors', allowed: (s) => s.can('monitors.read'), render: () => <MonitorsPage /> },
  { path: '/incidents', title: 'nav.incidents', allowed: (s) => s.can('incidents.read'), render: () => <IncidentsPage /> },
  { path: '/threats', title: 'nav.threats', allowed: (s) => s.can('threats.read'), render: () => <ThreatsSection /> },
  { path: '/vulns', title: 'nav.vulns', allowed: (s) => s.can('vulns.read'), render: () => <VulnsSection /> },
  { path: '/access', title: 'nav.access', allowed: (s) => s.can('access.read'), render: () => <AccessSection /> },
  { path: '/oncall', title: 'nav.oncall', allowed: (s) => s.can('oncall.read'), render: () => <OncallSection /> },
  {
    path: '/maintenance',
    title: 'nav.maintenance',
    allowed: (s) => s.can('maintenance.read'),
    render: () => <MaintenancePage />,
  },
  { path: '/audit', title: 'nav.audit', allowed: (s) => s.can('audit.read'), render: () => <AuditPage /> },
  { path: '/users', title: 'nav.users', allowed: (s) => s.can('users.read'), render: () => <UsersPage /> },
  { path: '/tokens', title: 'nav.tokens', allowed: (s) => s.canAny('tokens.'), render: () => <TokensPage /> },
  { path: '/account', title: 'nav.account', allowed: () => true, render: () => <AccountPage /> },
];

/** Header, navigation and the current page for a signed-in user. */
export function Shell() {
  const { t } = useI18n();
  const session = useSession();
  const path = usePath();
  const mainRef = useRef<HTMLElement>(null);
  const visible = PAGES.filter((p) => p.allowed(session));
  const page = PAGES.find((p) => path === p.path || path.startsWith(`${p.path}/`));
  const home = visible[0]?.path ?? '/account';

  useEffect(() => {
    if (path === '/' || path === '') navigate(home, { replace: true });
  }, [path, home]);

  // Move focus to the new page so keyboard and screen-reader users start at its top.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [page?.path]);

  useEffect(() => {
    document.title = page ? `${t(page.title)} · Skjold` : 'Skjold';
  }, [page, t]);

  const { user } = session.me;
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <Link to={home} className="brand-link">
          <Brand />
        </Link>
        <nav aria-label={t('nav.main')} className="mainnav">
          <ul>
            {visible.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={page?.path === p.path ? 'page' : undefined}>
                  {t(p.title)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-tools">
          <TimeZoneSelect />
          <LanguageSwitch />
          <span className="whoami" title={`${t('shell.signedInAs')} ${user.username}`} data-testid="whoami">
            <span className="whoami-name">{user.displayName || user.username}</span>
            <span className="whoami-role">{t(`roles.${user.role}`)}</span>
          </span>
          <button type="button" className="btn btn-small btn-on-dark" onClick={() => void session.signOut()}>
            {t('shell.signOut')}
          </button>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        {page && page.allowed(session) ? <PageBoundary key={page.path}>{page.render()}</PageBoundary> : null}
        {page && !page.allowed(session) ? <p className="alert alert-info">{t('shell.forbidden')}</p> : null}
        {!page && path !== '/' ? <p className="alert alert-info">{t('shell.notFound')}</p> : null}
      </main>
    </div>
  );
}
