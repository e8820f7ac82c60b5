import { readFileSync, statSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/**
 * The kinds a set-up file holds, in the order `apply` sends them (escalation policies name schedules and channels,
 * so those go first), each with its endpoints: `POST <path>/apply` `{ <key>: [...] }` → `{ results }` and
 * `GET <path>/export` → `{ <key>: [...] }`.
 */
export const KINDS = [
  { key: 'channels', one: 'channel', path: '/api/v1/notification-channels' },
  { key: 'schedules', one: 'schedule', path: '/api/v1/oncall/schedules' },
  { key: 'escalationPolicies', one: 'escalation policy', path: '/api/v1/escalation-policies' },
  { key: 'monitors', one: 'monitor', path: '/api/v1/monitors' },
  // Access: systems name their owner and grants their person by e-mail, so people go first.
  { key: 'people', one: 'person', path: '/api/v1/access/people' },
  { key: 'systems', one: 'system', path: '/api/v1/access/systems' },
  { key: 'grants', one: 'grant', path: '/api/v1/access/grants' },
  // Sites name their owner by a person's e-mail: after people.
  { key: 'sites', one: 'site', path: '/api/v1/access/sites' },
] as const;
export type Kind = (typeof KINDS)[number];
export type KindKey = Kind['key'];

/** Largest file read: a set-up of 10,000 monitors is about 2 MB. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Aliases allowed in one file (a "billion laughs" file expands a few aliases into gigabytes). */
const MAX_ALIASES = 100;

/** A file that cannot be applied, with every problem as `file:line:column: message`. */
export class SetupFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SetupFileError';
  }
}

export interface SetupFile {
  /** The items per kind present in the file, in apply order. */
  kinds: { kind: Kind; items: Record<string, unknown>[] }[];
  /** `file:line` of an API error path (`body.schedules.1.layers.0.users.2`), or of its nearest ancestor in the file. */
  where: (path: string) => string;
}

/** Read and check a set-up file (YAML, or JSON, which is YAML too): size, syntax, duplicate keys, aliases, kinds. */
export function readSetupFile(file: string): SetupFile {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new SetupFileError([`${file}: cannot read: ${(e as Error).message}`]);
  }
  if (size > MAX_FILE_BYTES) throw new SetupFileError([`${file}: ${size} bytes; a set-up file has at most 5 MB`]);
  return parseSetupFile(readFileSync(file, 'utf8'), file);
}

/** Check a set-up file's text; `name` is used in messages. */
export function parseSetupFile(text: string, name: string): SetupFile {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new SetupFileError([`${name}: a set-up file has at most 5 MB`]);
  const lines = new LineCounter();
  // uniqueKeys: a key twice in one mapping is an error, not "the last one wins".
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `${name}:${p.line}:${p.col}`;
  };
  const syntax = [...doc.errors, ...doc.warnings].map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  if (syntax.length) throw new SetupFileError(syntax);

  const root = doc.contents;
  if (root === null) throw new SetupFileError([`${name}: the file is empty; expected ${KINDS.map((k) => k.key).join(', ')}`]);
  if (!isMap(root)) throw new SetupFileError([`${at(root.range?.[0] ?? 0)}: the file must be a mapping of kinds to lists`]);
  const problems: string[] = [];
  const known = new Set<string>(KINDS.map((k) => k.key));
  for (const pair of root.items) {
    const key = (pair.key as { value?: unknown } | null)?.value;
    const pos = at((pair.key as Node | null)?.range?.[0] ?? 0);
    if (typeof key !== 'string' || !known.has(key)) {
      problems.push(`${pos}: unknown kind ${JSON.stringify(key)}; a file holds ${KINDS.map((k) => k.key).join(', ')}`);
      continue;
    }
    const value = pair.value as Node | null;
    if (value !== null && !isSeq(value)) {
      problems.push(`${at(value.range?.[0] ?? 0)}: ${key} must be a list`);
      continue;
    }
    for (const item of value?.items ?? []) {
      if (!isMap(item)) problems.push(`${at((item as Node | null)?.range?.[0] ?? 0)}: each of ${key} must be a mapping`);
    }
  }
  if (problems.length) throw new SetupFileError(problems);

  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES }) as Record<string, unknown>;
  } catch (e) {
    throw new SetupFileError([`${name}: ${(e as Error).message} (at most ${MAX_ALIASES} aliases)`]);
  }
  return {
    kinds: KINDS.filter((k) => Array.isArray(data[k.key])).map((kind) => ({
      kind,
      items: data[kind.key] as Record<string, unknown>[],
    })),
    where: (path) => whereIs(doc, path, at) ?? name,
  };
}

function whereIs(doc: Document, path: string, at: (offset: number) => string): string | undefined {
  const parts = path.replace(/^body\./, '').split('.');
  for (let n = parts.length; n > 0; n--) {
    const node = doc.getIn(parts.slice(0, n), true) as Node | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) return at(offset);
  }
  return undefined;
}

/** The name an item is known by in messages (its `name`, else its position). */
export function itemName(item: Record<string, unknown>, index: number): string {
  return typeof item['name'] === 'string' ? item['name'] : `#${index + 1}`;
}
