import { Command, Option } from 'commander';
import { ConfigError } from '../core/config.ts';
import { registerStart } from './start.command.ts';

/** The `skjold` command. Each subcommand lives in its own `*.command.ts` file. */
export function buildCli(): Command {
  const program = new Command('skjold')
    .description('Skjold: security operations and compliance for hosting providers')
    .addOption(new Option('--config <file>', 'JSON configuration file (also $SKJOLD_CONFIG)'))
    .showHelpAfterError();
  registerStart(program);
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
  process.exit(1);
}
