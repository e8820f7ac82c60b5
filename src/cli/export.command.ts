import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Document } from 'yaml';
import { ApiClient, ApiProblem, DEFAULT_SERVER, tokenFromEnv, type ClientOptions } from './api-client.ts';
import { printProblem, unsupported } from './apply.command.ts';
import { KINDS, type Kind } from './setup-file.ts';

interface ExportOptions extends ClientOptions {
  out?: string;
  kinds?: string;
}

/** Code-point order: the same on every machine and locale, so `git diff` shows only real changes. */
const nameOf = (item: unknown) => {
  const n = (item as { name?: unknown } | null)?.name;
  return typeof n === 'string' ? n : '';
};
const byName = (a: unknown, b: unknown) => {
  const x = nameOf(a);
  const y = nameOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** `monitors,schedules` → those kinds in apply order; throws on a name that is no kind. */
export function parseKinds(list: string | undefined): Kind[] {
  if (list === undefined) return [...KINDS];
  const wanted = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = wanted.filter((w) => !KINDS.some((k) => k.key === w));
  if (unknown.length || wanted.length === 0)
    throw new Error(`--kinds takes a comma-separated list of ${KINDS.map((k) => k.key).join(', ')} (got "${list}")`);
  return KINDS.filter((k) => wanted.includes(k.key));
}

/** The set-up file's text: a header comment, then each kind's items sorted by name. */
export function renderSetup(sets: { kind: Kind; items: unknown[] }[], server: string, at: Date): string {
  const doc = new Document(Object.fromEntries(sets.map((s) => [s.kind.key, [...s.items].sort(byName)])));
  doc.commentBefore =
    ` Skjold set-up exported from ${server} at ${at.toISOString()}\n` + ' Apply it with: skjold apply -f <this file>';
  // lineWidth 0: long strings are never folded, so an edit changes one line.
  return doc.toString({ lineWidth: 0 });
}

/** `skjold export`: write the server's set-up (every kind in KINDS) as one YAML file. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Write the current set-up (monitors, on-call, access) as a YAML file for `skjold apply`')
    .option('--server <url>', 'the Skjold server', DEFAULT_SERVER)
    .option('--out <file>', 'write here (replaced whole) instead of to stdout')
    .option('--kinds <list>', `comma-separated kinds (default: all of ${KINDS.map((k) => k.key).join(', ')})`)
    .option('--ca <file>', 'trust this CA (or self-signed certificate) PEM file')
    .option('--fingerprint <sha256>', 'trust only the certificate with this SHA-256 fingerprint (as `skjold start` prints it)')
    .option('--data-dir <dir>', 'trust <dir>/tls-cert.pem when neither --ca nor --fingerprint is given (default ./data)')
    .addHelpText('after', '\nThe API token is read from the environment variable SKJOLD_TOKEN (never from a flag).')
    .action(async (opts: ExportOptions) => {
      const kinds = parseKinds(opts.kinds);
      const client = new ApiClient(opts, tokenFromEnv());
      const sets: { kind: Kind; items: unknown[] }[] = [];
      for (const kind of kinds) {
        try {
          const answer = await client.request<Record<string, unknown>>('GET', `${kind.path}/export`);
          const items = answer[kind.key];
          if (!Array.isArray(items)) throw new Error(`${kind.path}/export did not answer with a list of ${kind.key}`);
          sets.push({ kind, items });
        } catch (e) {
          // Asked for everything: leave out what this server cannot export yet, and say so.
          if (unsupported(e) && opts.kinds === undefined) {
            process.stderr.write(`this server does not support ${kind.key}: left out\n`);
            continue;
          }
          if (unsupported(e)) throw new Error(`this server does not support ${kind.key} (no ${kind.path}/export)`);
          if (e instanceof ApiProblem) {
            process.stderr.write(`${kind.key}: `);
            printProblem((s) => process.stderr.write(s), e);
            process.exitCode = 1;
            return;
          }
          throw e;
        }
      }
      const text = renderSetup(sets, client.base.origin, new Date());
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      // Replace the file whole: a failed export never leaves half a file behind for `git commit -a`.
      const tmp = `${opts.out}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o644 });
      renameSync(tmp, opts.out);
      const counts = sets.map((s) => `${s.items.length} ${s.kind.key}`).join(', ');
      process.stderr.write(`wrote ${opts.out}: ${counts}\n`);
    });
}
