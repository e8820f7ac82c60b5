import type { AccessTab } from './access-tab.ts';
import { AccessLogPage } from './accounts/access-log-page.tsx';
import { AccountsPage } from './accounts/accounts-page.tsx';
import { SystemAccountsPage } from './accounts/system-accounts-page.tsx';
import { TasksPage } from './accounts/tasks-page.tsx';

/** The access console's accounts tabs, in menu order. */
export const ACCOUNTS_TABS: AccessTab[] = [
  {
    path: '/access/accounts',
    title: 'access.accounts.tab.accounts',
    render: (rest) => (rest ? <SystemAccountsPage systemId={rest} /> : <AccountsPage />),
  },
  { path: '/access/access-log', title: 'access.accounts.tab.log', render: () => <AccessLogPage /> },
  { path: '/access/tasks', title: 'access.accounts.tab.tasks', render: () => <TasksPage /> },
];
