/**
 * P1 (customer data stays in Denmark) as one pure rule, shared by sites and, later, backup targets and suppliers.
 */

/** What the rule needs of a place: its country and what it holds. */
export interface ResidencySubject {
  /** ISO 3166-1 alpha-2. */
  country: string;
  holds: readonly string[];
}

/** The configured residency countries (`"DK"`, `"DK, SE"`) as upper-case codes. */
export function residencyCountries(setting: string): string[] {
  return setting
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c.length > 0);
}

/**
 * Why a place breaks data residency, or null when it does not: it holds customer data and its country is not one
 * of `countries`. (A site holding backups of customer data should say `customer-data` too.)
 */
export function residencyViolation(subject: ResidencySubject, countries: readonly string[]): string | null {
  if (!subject.holds.includes('customer-data')) return null;
  const country = subject.country.trim().toUpperCase();
  if (countries.includes(country)) return null;
  return `holds customer data in ${country}, outside ${countries.join(', ') || 'the residency countries'} (P1)`;
}
