import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createApp, loadSkjoldConfig, type SkjoldApp } from '../app.ts';
import type { Actor } from '../core/auth.ts';
import { createLogger } from '../core/logger.ts';

/**
 * Open the configured Skjold (database, migrations, modules) for a one-shot command, without listening, run `fn`,
 * and close again. Logs go to stderr so that stdout carries only the command's answer.
 */
export async function withApp<T>(
  program: Command,
  opts: { dataDir?: string | undefined },
  fn: (app: SkjoldApp) => Promise<T>,
): Promise<T> {
  const parent = program.opts<{ config?: string }>();
  const config = loadSkjoldConfig({ file: parent.config, overrides: { core: { dataDir: opts.dataDir } } });
  const level = config.core.logLevel === 'info' ? 'warn' : config.core.logLevel;
  const app = await createApp({ config, tls: false, log: createLogger(level, process.stderr) });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** The audit actor of a command: `cli:<os user>`. */
export function cliActor(): Actor {
  let name = process.env['USER'] ?? 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep $USER.
  }
  return { type: 'system', id: `cli:${name}`, name };
}

/** Read a secret from piped stdin (at most 64 KiB), without its final newline. Refuses a terminal: it would echo. */
export async function readSecretFromStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) throw new Error(`pipe the ${what} into stdin, e.g. printf '%s' "$PASSWORD" | skjold …`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > 64 * 1024) throw new Error(`the ${what} on stdin is too long`);
    chunks.push(b);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
