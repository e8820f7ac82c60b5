/** English texts of the access console's physical pages (spread into the main catalogue). */
export const physicalEn = {};
