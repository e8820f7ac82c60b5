import type { AccessTab } from './access-tab.ts';

/** The access console's reviews tabs, in menu order. */
export const REVIEWS_TABS: AccessTab[] = [];
