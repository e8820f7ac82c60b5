/**
 * Detection: declarative scenarios (YAML, zod-validated) compiled into closures, and the bucket engine that turns a
 * stream of ThreatEvents into Overflows. User patterns run on RE2; built-in signature lists on a literal
 * Aho–Corasick scanner; both linear in the input.
 */
export { createDetector, type BlackholeHook, type Detector, type DetectorOptions, type DetectorStats } from './detector.ts';
export {
  BUILTIN_SCENARIO_DIR,
  builtinScenarios,
  loadScenarios,
  loadScenarioText,
  type LoadOptions,
  type LoadResult,
  type ScenarioError,
} from './scenarios.loader.ts';
export type { Scenario, LineRule } from './scenario.ts';
export { scenarioSchema, parseDuration, type ScenarioSpec, type FilterSpec, type MatcherSpec } from './scenario.schema.ts';
export {
  builtinSignatureLists,
  builtinSignatureSet,
  loadSignatureLists,
  readSignatureLists,
  parseSignatureList,
  BUILTIN_DATA_DIR,
} from './signature-lists.ts';
export { createLiteralMatcher, createSignatureSet, type LiteralMatcher, type SignatureSet } from './literal-matcher.ts';
export { importFail2banFilter, type Fail2banImport, type Fail2banImportOptions } from './fail2ban.import.ts';
