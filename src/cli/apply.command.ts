import type { Command } from 'commander';
import { ApiClient, ApiProblem, DEFAULT_SERVER, serverUrl, tokenFromEnv, type ClientOptions } from './api-client.ts';
import { itemName, KINDS, readSetupFile, SetupFileError, type Kind, type SetupFile } from './setup-file.ts';

interface ApplyOptions extends ClientOptions {
  file: string;
  dryRun?: boolean;
}

/** One item's result as the apply endpoints answer it (monitors say `outcome`, schedules `action`). */
interface ItemResult {
  name?: string;
  action?: string;
  outcome?: string;
  id?: string;
  errors?: { path: string; message: string }[];
  heartbeatUrl?: string;
}

type Write = (s: string) => void;

/** A 404 `route_not_found` means the server predates the kind's endpoint. */
export const unsupported = (e: unknown): boolean => e instanceof ApiProblem && e.status === 404 && e.code === 'route_not_found';

/** Print an API problem: its title and detail, then each field as `path (file:line): message`. */
export function printProblem(out: Write, e: ApiProblem, where?: (path: string) => string): void {
  out(`${e.title}: ${e.detail}\n`);
  for (const f of e.errors) out(`  ${f.path}${where ? ` (${where(f.path)})` : ''}: ${f.message}\n`);
}

/**
 * Apply every kind of the file in order; stops at the first kind the server refuses (later kinds may refer to it).
 * Returns the exit code: 0 when every item was applied, 1 otherwise.
 */
export async function applySetup(setup: SetupFile, client: ApiClient, out: Write, err: Write): Promise<number> {
  const counts = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  const summary = () =>
    `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged` +
    (counts.failed ? `, ${counts.failed} failed` : '');
  for (const { kind, items } of setup.kinds) {
    if (items.length === 0) continue;
    let results: ItemResult[];
    try {
      ({ results } = await client.request<{ results: ItemResult[] }>('POST', `${kind.path}/apply`, { [kind.key]: items }));
    } catch (e) {
      if (unsupported(e)) err(`this server does not support ${kind.key} (no ${kind.path}/apply): nothing of it was applied\n`);
      else if (e instanceof ApiProblem) {
        err(`${kind.key}: `);
        printProblem(err, e, setup.where);
        err(`none of the ${items.length} ${kind.key} was applied\n`);
      } else throw e;
      if (kinds(setup, kind).length) err(`stopped before ${kinds(setup, kind).join(', ')}\n`);
      err(`${summary()}\n`);
      return 1;
    }
    for (const [i, r] of results.entries()) {
      const name = r.name ?? itemName(items[i] ?? {}, i);
      const what = r.action ?? r.outcome ?? 'failed';
      if (what === 'created' || what === 'updated' || what === 'unchanged') {
        counts[what]++;
        out(`${what} ${kind.one} ${name}\n`);
        // The server answers with a path: the full URL is what a cron job needs.
        if (r.heartbeatUrl) out(`  heartbeat URL (shown once): ${new URL(r.heartbeatUrl, client.base.origin).href}\n`);
      } else {
        counts.failed++;
        err(`failed ${kind.one} ${name}\n`);
        for (const f of r.errors ?? []) err(`  ${f.path} (${setup.where(f.path)}): ${f.message}\n`);
      }
    }
    if (counts.failed) {
      if (kinds(setup, kind).length) err(`stopped before ${kinds(setup, kind).join(', ')}\n`);
      err(`${summary()}\n`);
      return 1;
    }
  }
  out(`${summary()}\n`);
  return 0;
}

/** The kinds of the file still to come after `kind`. */
const kinds = (setup: SetupFile, kind: Kind) =>
  setup.kinds
    .slice(setup.kinds.findIndex((k) => k.kind.key === kind.key) + 1)
    .filter((k) => k.items.length > 0)
    .map((k) => k.kind.key);

/** `skjold apply -f FILE`: create or update every kind in KINDS (monitoring, on-call, access) from a YAML file. */
export function registerApply(program: Command): void {
  program
    .command('apply')
    .description(
      'Create or update monitors, on-call set-up and access (people, systems, grants, sites) from a YAML file, by name',
    )
    .requiredOption('-f, --file <file>', `the set-up file (YAML): { ${KINDS.map((k) => k.key).join(', ')} }`)
    .option('--server <url>', 'the Skjold server', DEFAULT_SERVER)
    .option('--ca <file>', 'trust this CA (or self-signed certificate) PEM file')
    .option('--fingerprint <sha256>', 'trust only the certificate with this SHA-256 fingerprint (as `skjold start` prints it)')
    .option('--data-dir <dir>', 'trust <dir>/tls-cert.pem when neither --ca nor --fingerprint is given (default ./data)')
    .option('--dry-run', 'check the file and print what would be sent, without contacting the server')
    .addHelpText('after', '\nThe API token is read from the environment variable SKJOLD_TOKEN (never from a flag).')
    .action(async (opts: ApplyOptions) => {
      let setup: SetupFile;
      try {
        setup = readSetupFile(opts.file);
      } catch (e) {
        if (!(e instanceof SetupFileError)) throw e;
        process.stderr.write(`${e.problems.map((p) => `skjold: ${p}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      if (opts.dryRun) {
        const base = serverUrl(opts.server).origin;
        let n = 0;
        for (const { kind, items } of setup.kinds) {
          if (items.length === 0) continue;
          process.stdout.write(`POST ${base}${kind.path}/apply (${items.length} ${kind.key})\n`);
          for (const [i, item] of items.entries()) process.stdout.write(`  ${kind.one} ${itemName(item, i)}\n`);
          n += items.length;
        }
        process.stdout.write(`dry run: the file is well-formed; ${n} items would be sent, nothing was\n`);
        return;
      }
      const client = new ApiClient(opts, tokenFromEnv());
      process.exitCode = await applySetup(
        setup,
        client,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
      );
    });
}
