import type { reviewsEn } from './reviews.en.ts';

/** Danish texts of the access console's reviews pages (spread into the main catalogue). */
export const reviewsDa: Record<keyof typeof reviewsEn, string> = {};
