import type { peopleEn } from './people.en.ts';

/** Danish texts of the access console's people pages (spread into the main catalogue). */
export const peopleDa: Record<keyof typeof peopleEn, string> = {};
