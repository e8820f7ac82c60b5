import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLiteralMatcher, type LiteralMatcher } from './literal-matcher.ts';

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

/**
 * Load every `*.txt` list in `dir` and compile each into a case-insensitive literal matcher, keyed by file name
 * without `.txt` (`sqli`, `bad-user-agents`, …).
 */
export function loadSignatureLists(dir: string = BUILTIN_DATA_DIR): Map<string, LiteralMatcher> {
  const lists = new Map<string, LiteralMatcher>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.txt')) continue;
    lists.set(file.slice(0, -4), createLiteralMatcher(parseSignatureList(readFileSync(join(dir, file), 'utf8'))));
  }
  return lists;
}

let builtin: Map<string, LiteralMatcher> | undefined;

/** The built-in lists, loaded once per process (they are read-only). */
export function builtinSignatureLists(): Map<string, LiteralMatcher> {
  builtin ??= loadSignatureLists();
  return builtin;
}
