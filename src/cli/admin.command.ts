import type { Command } from 'commander';
import { cliActor, readSecretFromStdin, withApp } from './cli-app.ts';

interface AdminCreateOptions {
  username: string;
  passwordStdin?: boolean;
  displayName?: string;
  force?: boolean;
  dataDir?: string;
}

/**
 * `skjold admin create`: the first administrator. Refused when an enabled admin exists, unless --force
 * (break-glass when every admin is locked out); either way audited as `cli:<os user>`. The password comes from
 * stdin only (never argv: shell history, ps). The new admin must enrol MFA at the first sign-in.
 */
export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('Administrators of Skjold itself');
  admin
    .command('create')
    .description('Create the first admin; the password is read from stdin, MFA enrolment is forced at first sign-in')
    .requiredOption('--username <name>', 'username (2–64 characters: letters, digits, . _ @ -)')
    .option('--password-stdin', 'read the password from standard input (required)')
    .option('--display-name <name>', 'display name (default: the username)')
    .option('--force', 'create an admin even though one exists (break-glass; audited)')
    .option('--data-dir <dir>', 'data directory (SQLite, keys)')
    .action(async (opts: AdminCreateOptions) => {
      if (!opts.passwordStdin)
        throw new Error('pass --password-stdin and pipe the password in (passwords on the command line leak into shell history)');
      const password = await readSecretFromStdin('password');
      const user = await withApp(program, opts, (app) =>
        app.identity.service.createFirstAdmin({ username: opts.username, password, displayName: opts.displayName }, cliActor(), {
          force: opts.force === true,
        }),
      );
      process.stdout.write(`created admin ${user.username} (${user.id}); MFA enrolment is required at the first sign-in\n`);
    });
}
