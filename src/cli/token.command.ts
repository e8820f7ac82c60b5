import type { Command } from 'commander';
import { cliActor, withApp } from './cli-app.ts';

interface TokenCreateOptions {
  username: string;
  name: string;
  scopes?: string;
  expires?: string;
  dataDir?: string;
}

/** `30d` or `30` → 30 days. */
export function parseExpiry(s: string): number {
  const m = /^(\d{1,4})d?$/.exec(s.trim());
  if (!m?.[1]) throw new Error(`--expires takes days, e.g. 30d (got "${s}")`);
  return Number(m[1]);
}

/**
 * `skjold token create`: an API token for a user, printed once on stdout (and nowhere else); the details go to
 * stderr. Scopes default to every permission of the user's role.
 */
export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens');
  token
    .command('create')
    .description('Create an API token for a user and print it once')
    .requiredOption('--username <name>', 'the token’s owner')
    .requiredOption('--name <name>', 'what the token is for')
    .option('--scopes <list>', 'comma-separated permissions (default: all of the owner’s role)')
    .option('--expires <days>', 'lifetime, e.g. 30d (default 90d, at most 365d)')
    .option('--data-dir <dir>', 'data directory (SQLite, keys)')
    .action(async (opts: TokenCreateOptions) => {
      const scopes = opts.scopes
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const expiresInDays = opts.expires === undefined ? undefined : parseExpiry(opts.expires);
      const created = await withApp(program, opts, (app) =>
        app.identity.service.createToken({ username: opts.username, name: opts.name, scopes, expiresInDays }, cliActor()),
      );
      process.stderr.write(
        `token ${created.id} for ${created.username}, expires ${created.expiresAt}, scopes: ${created.scopes.join(',') || '(none)'}\n`,
      );
      process.stdout.write(`${created.token}\n`);
    });
}
