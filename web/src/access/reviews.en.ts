/** English texts of the access console's reviews pages (spread into the main catalogue). */
export const reviewsEn = {};
