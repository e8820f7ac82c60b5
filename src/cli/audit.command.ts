import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { loadSkjoldConfig } from '../app.ts';
import { systemClock } from '../core/clock.ts';
import { type Database, openDatabase } from '../core/db/database.ts';
import { createLogger } from '../core/logger.ts';
import { GroupCommitAuditSink } from '../modules/audit/audit.sink.ts';
import {
  createAuditService,
  linesOf,
  parsePublicKey,
  readPublicKey,
  verifyAuditLog,
  verifyExport,
} from '../modules/audit/index.ts';
import { cliActor } from './cli-app.ts';

/** Exit code of a verification that ran and found the log or export altered. */
export const EXIT_TAMPERED = 2;

interface Opened {
  database: Database;
  dataDir: string;
  config: ReturnType<typeof loadSkjoldConfig>;
}

/**
 * The configured database, without starting anything and without migrating: verification must not write,
 * and the migrator refuses to run one module's migrations against a database that has every module's.
 * A database without an audit log is an error (start Skjold once first).
 */
async function openStore(program: Command, dataDir: string | undefined): Promise<Opened> {
  const parent = program.opts<{ config?: string }>();
  const config = loadSkjoldConfig({ file: parent.config, overrides: { core: { dataDir } } });
  const dir = resolve(config.core.dataDir);
  if (!config.core.databaseUrl && !existsSync(join(dir, 'skjold.db'))) throw new Error(`no Skjold database in ${dir}`);
  const database = openDatabase({ dataDir: dir, databaseUrl: config.core.databaseUrl });
  try {
    await sql`SELECT next_seq FROM audit_head WHERE id = 1`.execute(database.db);
  } catch {
    await database.close();
    throw new Error(`no audit log in ${database.describe}: start Skjold once to create it`);
  }
  return { database, dataDir: dir, config };
}

const say = (text: string): void => void process.stdout.write(`${text}\n`);

/** `skjold audit verify|export`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('Verify and export the tamper-evident audit log');

  audit
    .command('verify')
    .description('Recompute the audit log and check it against its leaf hashes and signed checkpoints; exit 2 if it was altered')
    .option('--data-dir <dir>', 'data directory (database, signing keys)')
    .option('--file <export.jsonl>', 'verify an export file offline instead (no database needed; requires --public-key)')
    .option('--public-key <file>', 'PEM public key to check signatures with (default: <data-dir>/audit-signing.pub)')
    .action(async (opts: { dataDir?: string; file?: string; publicKey?: string }) => {
      if (opts.file) {
        if (!opts.publicKey)
          throw new Error('--file needs --public-key: an export is checked against a key you hold, not one it carries');
        const key = parsePublicKey(readFileSync(opts.publicKey, 'utf8'));
        const res = await verifyExport(linesOf(createReadStream(opts.file)), key);
        if (res.ok) {
          say(
            `verified ${res.entries} entries (seq ${res.firstSeq}–${res.lastSeq}) against ${res.checkpoints} signed checkpoint${res.checkpoints === 1 ? '' : 's'}`,
          );
        } else {
          say(`verification FAILED: first bad seq ${res.firstBadSeq} (${res.problem}): ${res.message}`);
          process.exitCode = EXIT_TAMPERED;
        }
        return;
      }
      const { database, dataDir } = await openStore(program, opts.dataDir);
      try {
        const key = opts.publicKey ? parsePublicKey(readFileSync(opts.publicKey, 'utf8')) : readPublicKey(dataDir);
        const res = await verifyAuditLog(database, key);
        if (res.ok) {
          say(`verified ${res.entries} entries, root ${res.root}`);
        } else {
          const range = res.lastSuspectSeq ? ` (up to seq ${res.lastSuspectSeq})` : '';
          say(`verification FAILED: first bad seq ${res.firstBadSeq}${range} (${res.problem}): ${res.message}`);
          process.exitCode = EXIT_TAMPERED;
        }
      } finally {
        await database.close();
      }
    });

  audit
    .command('export')
    .description('Export entries with signed checkpoints and range proofs as JSON lines (for `skjold audit verify --file`)')
    .option('--data-dir <dir>', 'data directory (database, signing keys)')
    .option('--from <seq|time>', 'first entry: a seq (inclusive) or an ISO time (inclusive); default the first')
    .option('--to <seq|time>', 'last entry: a seq (inclusive) or an ISO time (exclusive); default the last')
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .action(async (opts: { dataDir?: string; from?: string; to?: string; out?: string }) => {
      const { database, dataDir, config } = await openStore(program, opts.dataDir);
      const log = createLogger(config.core.logLevel === 'info' ? 'warn' : config.core.logLevel, process.stderr);
      try {
        const service = createAuditService({ database, clock: systemClock, log, config: config.audit, dataDir });
        service.open();
        const out = await service.export({ from: opts.from, to: opts.to });
        // Reading the log is itself recorded, like an API export.
        const actor = cliActor();
        const sink = new GroupCommitAuditSink(database, systemClock, log);
        await sink.append({
          actor: actor.type === 'system' ? actor.id : 'anonymous',
          actorName: actor.type === 'system' ? actor.name : undefined,
          action: 'audit.export',
          outcome: 'allowed',
          detail: { firstSeq: out.first, lastSeq: out.last, via: 'cli' },
        });
        await sink.close();
        const sinkTo = opts.out ? createWriteStream(opts.out, { mode: 0o600 }) : process.stdout;
        for await (const chunk of out.lines) if (!sinkTo.write(chunk)) await once(sinkTo, 'drain');
        if (opts.out) {
          sinkTo.end();
          await once(sinkTo, 'finish');
          process.stderr.write(`exported entries ${out.first}–${out.last} to ${opts.out}\n`);
        }
      } finally {
        await database.close();
      }
    });
}
