import { Command, Option } from 'commander';
import { ConfigError } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { registerAdmin } from './admin.command.ts';
import { registerApply } from './apply.command.ts';
import { registerAudit } from './audit.command.ts';
import { registerExport } from './export.command.ts';
import { registerStart } from './start.command.ts';
import { registerThreats } from './threats.command.ts';
import { registerToken } from './token.command.ts';
import { registerVulns } from './vulns.command.ts';

/** The `skjold` command. Each subcommand lives in its own `*.command.ts` file. */
export function buildCli(): Command {
  const program = new Command('skjold')
    .description('Skjold: security operations and compliance for hosting providers')
    .addOption(new Option('--config <file>', 'JSON configuration file (also $SKJOLD_CONFIG)'))
    .showHelpAfterError();
  registerStart(program);
  registerAdmin(program);
  registerToken(program);
  registerAudit(program);
  registerApply(program);
  registerExport(program);
  registerThreats(program);
  registerVulns(program);
  return program;
}

try {
  await buildCli().parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`skjold: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`skjold: ${(e as Error).message}\n`);
  if (e instanceof AppError) for (const f of e.errors ?? []) process.stderr.write(`  - ${f.path}: ${f.message}\n`);
  process.exit(1);
}
