import type { AccessTab } from './access-tab.ts';
import { BadgeEventsPage } from './physical/badge-events-page.tsx';
import { SiteDetailPage } from './physical/site-detail.tsx';
import { SiteGrantsPage } from './physical/site-grants-page.tsx';
import { SitesPage } from './physical/sites-page.tsx';

/** The access console's physical tabs, in menu order. */
export const PHYSICAL_TABS: AccessTab[] = [
  {
    path: '/access/sites',
    title: 'access.physical.tab.sites',
    render: (rest) => (rest ? <SiteDetailPage id={rest} /> : <SitesPage />),
  },
  { path: '/access/badge-events', title: 'access.physical.tab.events', render: () => <BadgeEventsPage /> },
  { path: '/access/site-grants', title: 'access.physical.tab.grants', render: () => <SiteGrantsPage /> },
];
