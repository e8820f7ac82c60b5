import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLiteralMatcher, createSignatureSet, type LiteralMatcher, type SignatureSet } from './literal-matcher.ts';

/** Where the built-in signature lists live: one `<name>.txt` per list. */
export const BUILTIN_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

/** Longest signature kept (longer lines in a list file are skipped: a literal that long is a mistake). */
const MAX_SIGNATURE = 512;

/**
 * Parse a signature list: one literal per line; blank lines and lines starting with `#` are skipped; surrounding
 * whitespace is trimmed (a signature that needs a leading or trailing space cannot be written — none does).
 */
export function parseSignatureList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.length > MAX_SIGNATURE) continue;
    out.push(line);
  }
  return out;
}

/** Read every `*.txt` list in `dir`, keyed by file name without `.txt` (`sqli`, `bad-user-agents`, …). */
export function readSignatureLists(dir: string = BUILTIN_DATA_DIR): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith('.txt')) lists.set(file.slice(0, -4), parseSignatureList(readFileSync(join(dir, file), 'utf8')));
  }
  return lists;
}

/** Load every list in `dir` as its own case-insensitive literal matcher (for tests and tools; scenarios use the set). */
export function loadSignatureLists(dir: string = BUILTIN_DATA_DIR): Map<string, LiteralMatcher> {
  return new Map([...readSignatureLists(dir)].map(([name, sigs]) => [name, createLiteralMatcher(sigs)]));
}

let builtin: Map<string, LiteralMatcher> | undefined;
let builtinSet: SignatureSet | undefined;

/** The built-in lists as separate matchers, loaded once per process (they are read-only). */
export function builtinSignatureLists(): Map<string, LiteralMatcher> {
  builtin ??= loadSignatureLists();
  return builtin;
}

/** The built-in lists as one signature set (what scenario filters use), loaded once per process. */
export function builtinSignatureSet(): SignatureSet {
  builtinSet ??= createSignatureSet(readSignatureLists());
  return builtinSet;
}
