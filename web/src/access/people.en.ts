/** English texts of the access console's people pages (spread into the main catalogue). */
export const peopleEn = {};
