import type { AccessTab } from './access-tab.ts';
import { GrantDetailPage } from './people/grant-detail-page.tsx';
import { GrantsPage } from './people/grants-page.tsx';
import { PeoplePage } from './people/people-page.tsx';
import { PrivilegedPage } from './people/privileged-page.tsx';
import { SystemsPage } from './people/systems-page.tsx';

/** The access console's people tabs, in menu order. */
export const PEOPLE_TABS: AccessTab[] = [
  { path: '/access/people', title: 'access.people.tab.people', render: () => <PeoplePage /> },
  { path: '/access/systems', title: 'access.people.tab.systems', render: () => <SystemsPage /> },
  {
    path: '/access/grants',
    title: 'access.people.tab.grants',
    render: (rest) => (rest ? <GrantDetailPage key={rest} id={rest} /> : <GrantsPage />),
  },
  { path: '/access/privileged', title: 'access.people.tab.privileged', render: () => <PrivilegedPage /> },
];
