import type { physicalEn } from './physical.en.ts';

/** Danish texts of the access console's physical pages (spread into the main catalogue). */
export const physicalDa: Record<keyof typeof physicalEn, string> = {};
