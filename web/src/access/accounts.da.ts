import type { accountsEn } from './accounts.en.ts';

/** Danish texts of the access console's accounts pages (spread into the main catalogue). */
export const accountsDa: Record<keyof typeof accountsEn, string> = {};
