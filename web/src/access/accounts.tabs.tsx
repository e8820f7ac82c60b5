import type { AccessTab } from './access-tab.ts';

/** The access console's accounts tabs, in menu order. */
export const ACCOUNTS_TABS: AccessTab[] = [];
