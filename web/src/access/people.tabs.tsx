import type { AccessTab } from './access-tab.ts';

/** The access console's people tabs, in menu order. */
export const PEOPLE_TABS: AccessTab[] = [];
