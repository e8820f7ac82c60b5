/** English texts of the access console's accounts pages (spread into the main catalogue). */
export const accountsEn = {};
