/**
 * A finding's priority: the product's policy for what to patch first (issue 5 item 10). Pure: the store calls it
 * with what the feeds and the asset say and keeps the result, inputs and feed versions beside the finding.
 *
 * Levels, low to high: info < low < medium < high < critical. The rules, applied in this order:
 *
 * 1. **Base severity.** The higher of the vendor's severity and the band of the best CVSS base score (v3.0, v3.1,
 *    v4.0; `cvss.ts`). The vendor calling it `unimportant` (status) or `negligible` (severity) makes it `info` and
 *    the CVSS band is not used: the distro judged its own build and that verdict beats a generic score. The vendor's
 *    `not_affected` is also `info`. With neither a vendor severity nor a valid CVSS vector the base is `medium`
 *    (unknown is not safe to treat as low).
 * 2. **EPSS.** A probability ≥ 0.5 or a percentile ≥ 0.95 raises one level (not when the vendor made it `info`). A probability < 0.01
 *    lowers one level only when all of these hold, because EPSS lags for new CVEs and the lowering must stay rare:
 *    no KEV entry, the level is `high`, CVSS alone set it (the vendor severity is lower or unknown), and the asset is
 *    `internal`. A vendor `high` or `critical` is never lowered, and nothing is lowered on an internet-facing asset.
 * 3. **Asset criticality.** A `critical` asset raises `medium` to `high`.
 * 4. **Internet exposure.** An internet-facing asset raises `high` to `critical`. Exposure `unknown` counts as
 *    internet-facing (the safe side) until someone classifies the asset.
 * 5. **KEV overrides.** In CISA's KEV catalog: at least `critical` on an internet-facing asset, at least `high`
 *    otherwise. Known ransomware use raises one more level (an internal KEV finding becomes `critical`) and adds to
 *    the score.
 * 6. **Not running.** When only an installed-but-not-booted kernel is affected (`inForce: not_running`) the level is
 *    lowered to at most `low`, KEV included: nothing vulnerable runs; the work is removing the old kernel.
 *
 * A vendor status other than `fixed` (no fix, postponed, ignored, end of life, undetermined) keeps the priority; it
 * only means the SLA clock does not start (`sla.ts`), which a reason says.
 *
 * `reasons` are plain words ordered by weight: not running, KEV, ransomware, internet exposure, EPSS raise, asset
 * criticality, base severity, EPSS lowering, no fix yet, unknown-severity default, ignored bad inputs.
 *
 * `score` (0..100) sorts within and across levels: each level owns a band of 20 (info 0–19, low 20–39, medium 40–59,
 * high 60–79, critical 80–100), and the position inside the band is 0.4·CVSS/10 + 0.3·EPSS + 0.2·KEV +
 * 0.1·ransomware (each missing signal counts 0).
 */
import type { AssetContext, InForce, Priority, PriorityInputs, PriorityResult, Severity, VendorStatus } from '../model.ts';
import { cvssSeverity, scoreCvssVectors } from './cvss.ts';

/** Everything `computePriority` looks at. Feed versions are recorded in the result's `inputs`. */
export interface PriorityInput {
  vendorSeverity: Severity;
  /** Vectors the vendor or OSV published; invalid ones are skipped and named in the reasons. */
  cvssVectors?: readonly string[] | undefined;
  /** FIRST EPSS for the CVE, with the version (date or content hash) of the feed it came from. */
  epss?: { score: number; percentile: number; feedVersion: string } | undefined;
  /** The CISA KEV entry for the CVE, when there is one. */
  kev?: { dateAdded: string; dueDate: string; ransomware: boolean; feedVersion: string } | undefined;
  asset: AssetContext;
  /** Version of the advisory feed the vendor statement came from. */
  advisoryFeedVersion?: string | undefined;
  vendorStatus: VendorStatus;
  inForce: InForce;
}

const LEVELS: readonly Priority[] = ['info', 'low', 'medium', 'high', 'critical'];
const RANK: Record<Priority, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const VENDOR_LEVEL: Record<Severity, Priority | null> = {
  unknown: null,
  negligible: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};
const CVSS_LEVEL = { none: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' } as const;

/** EPSS probability at or above which the level rises. */
export const EPSS_RAISE_SCORE = 0.5;
/** EPSS percentile at or above which the level rises. */
export const EPSS_RAISE_PERCENTILE = 0.95;
/** EPSS probability below which a CVSS-only `high` on an internal asset may drop to `medium`. */
export const EPSS_LOWER_SCORE = 0.01;

const STATUS_WORDS: Record<VendorStatus, string> = {
  fixed: 'fix available',
  not_affected: 'not affected',
  no_fix: 'no fix yet',
  postponed: 'fix postponed',
  ignored: 'will not be fixed',
  unimportant: 'unimportant',
  end_of_life: 'end of life',
  undetermined: 'undetermined',
};

function up(level: Priority, steps = 1): Priority {
  return LEVELS[Math.min(RANK[level] + steps, 4)] as Priority;
}

function atLeast(level: Priority, floor: Priority): Priority {
  return RANK[level] >= RANK[floor] ? level : floor;
}

function fmt(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** Apply the rules in the file header to one finding. Never throws on feed data: bad values are ignored and said. */
export function computePriority(input: PriorityInput): PriorityResult {
  const reasons: { weight: number; text: string }[] = [];
  const say = (weight: number, text: string): void => {
    reasons.push({ weight, text });
  };
  const { asset } = input;
  const internetFacing = asset.exposure !== 'internal';

  const { best: cvss, invalid } = scoreCvssVectors(input.cvssVectors ?? []);
  if (invalid.length > 0)
    say(5, `${invalid.length} invalid CVSS vector${invalid.length === 1 ? '' : 's'} ignored (${invalid[0]?.reason})`);

  const epssValid =
    input.epss !== undefined &&
    Number.isFinite(input.epss.score) &&
    input.epss.score >= 0 &&
    input.epss.score <= 1 &&
    Number.isFinite(input.epss.percentile) &&
    input.epss.percentile >= 0 &&
    input.epss.percentile <= 1;
  const epss = epssValid ? input.epss : undefined;
  if (input.epss && !epssValid) say(5, 'EPSS value out of range ignored');
  const kev = input.kev;

  // 1. Base severity.
  const vendorLevel = VENDOR_LEVEL[input.vendorSeverity];
  const cvssLevel = cvss ? CVSS_LEVEL[cvssSeverity(cvss.score)] : null;
  let level: Priority;
  let vendorSaysInfo = false;
  if (input.vendorStatus === 'unimportant' || input.vendorSeverity === 'negligible') {
    level = 'info';
    vendorSaysInfo = true;
    say(60, `vendor rates it ${input.vendorStatus === 'unimportant' ? 'unimportant' : 'negligible'}`);
  } else if (input.vendorStatus === 'not_affected') {
    level = 'info';
    vendorSaysInfo = true;
    say(60, 'vendor says this release is not affected');
  } else if (vendorLevel === null && cvssLevel === null) {
    level = 'medium';
    say(20, 'no vendor severity or CVSS score: treated as medium');
  } else {
    const v = vendorLevel ?? 'info';
    const c = cvssLevel ?? 'info';
    level = RANK[c] > RANK[v] ? c : v;
    if (vendorLevel !== null && RANK[vendorLevel] >= RANK[c]) say(60, `vendor severity ${input.vendorSeverity}`);
    if (cvss && cvssLevel !== null && (RANK[cvssLevel] > RANK[v] || vendorLevel === null))
      say(60, `CVSS ${cvss.version} base score ${cvss.score} (${cvssSeverity(cvss.score)})`);
  }
  const cvssOnly = cvssLevel !== null && RANK[cvssLevel] > RANK[vendorLevel ?? 'info'];

  // 2. EPSS.
  if (epss && !vendorSaysInfo) {
    if (epss.score >= EPSS_RAISE_SCORE || epss.percentile >= EPSS_RAISE_PERCENTILE) {
      if (level !== 'critical') say(70, `EPSS ${fmt(epss.score)} (percentile ${fmt(epss.percentile)}): likely exploited`);
      level = up(level);
    } else if (epss.score < EPSS_LOWER_SCORE && !kev && level === 'high' && cvssOnly && asset.exposure === 'internal') {
      level = 'medium';
      say(40, `EPSS ${fmt(epss.score)}: exploitation unlikely, CVSS-only high on an internal asset lowered to medium`);
    }
  }

  // 3. Asset criticality.
  if (asset.criticality === 'critical' && level === 'medium') {
    level = 'high';
    say(65, 'critical asset');
  }

  // 4. Internet exposure.
  if (internetFacing && level === 'high') {
    level = 'critical';
    say(80, asset.exposure === 'internet' ? 'internet-facing' : 'exposure unknown, treated as internet-facing');
  }

  // 5. KEV.
  if (kev) {
    level = atLeast(level, internetFacing ? 'critical' : 'high');
    say(100, `in CISA KEV since ${kev.dateAdded}${internetFacing ? ' on an internet-facing asset' : ''}`);
    if (kev.ransomware) {
      level = up(level);
      say(99, 'known ransomware use');
    }
  }

  // 6. Not running.
  if (input.inForce === 'not_running' && RANK[level] > RANK.low) {
    level = 'low';
    say(110, 'only an installed kernel that is not running is affected');
  }

  if (input.vendorStatus !== 'fixed' && !vendorSaysInfo)
    say(30, `${STATUS_WORDS[input.vendorStatus]} (vendor): the SLA starts when a fix is published`);

  const position = 0.4 * ((cvss?.score ?? 0) / 10) + 0.3 * (epss?.score ?? 0) + (kev ? 0.2 : 0) + (kev?.ransomware ? 0.1 : 0);
  const rank = RANK[level];
  const score = rank * 20 + Math.round(position * (rank === 4 ? 20 : 19));

  const inputs: PriorityInputs = {
    vendorSeverity: input.vendorSeverity,
    cvss,
    epss: epss ? { score: epss.score, percentile: epss.percentile, feedVersion: epss.feedVersion } : undefined,
    kev: kev
      ? { dateAdded: kev.dateAdded, dueDate: kev.dueDate, ransomware: kev.ransomware, feedVersion: kev.feedVersion }
      : undefined,
    exposure: asset.exposure,
    criticality: asset.criticality,
    advisoryFeedVersion: input.advisoryFeedVersion,
  };
  // Array.prototype.sort is stable: equal weights keep the order they were said in.
  const ordered = reasons.sort((a, b) => b.weight - a.weight).map((r) => r.text);
  return { priority: level, score, reasons: ordered, inputs };
}

/** Order of priorities, highest first, for sorting and threshold checks (`comparePriority('critical','low') < 0`). */
export function comparePriority(a: Priority, b: Priority): number {
  return RANK[b] - RANK[a];
}
