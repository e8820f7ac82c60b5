import type { AccessTab } from './access-tab.ts';

/** The access console's physical tabs, in menu order. */
export const PHYSICAL_TABS: AccessTab[] = [];
