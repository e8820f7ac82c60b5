import type { Command } from 'commander';
import { createApp, loadSkjoldConfig } from '../app.ts';
import { isProbeRole, type ProbeStartOptions, startProbeRole } from './probe-role.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run Skjold: HTTPS console and API plus the background engine')
    .option('--data-dir <dir>', 'data directory (SQLite, TLS certificate, signing keys)')
    .option('--host <host>', 'interface to listen on')
    .option('--port <port>', 'HTTPS port')
    .option('--roles <roles>', 'comma-separated roles: api,engine,probe,collector')
    .option('--server <url>', 'probe role: the Skjold API to report to, https://host:port (token in $SKJOLD_PROBE_TOKEN)')
    .option('--server-ca <file>', "probe role: PEM certificate or CA the server's certificate must chain to")
    .option('--server-fingerprint <sha256>', "probe role: pin the server's certificate by its SHA-256 fingerprint")
    .action(async (opts: { dataDir?: string; host?: string; port?: string; roles?: string } & ProbeStartOptions) => {
      const parent = program.opts<{ config?: string }>();
      const config = loadSkjoldConfig({
        file: parent.config,
        overrides: { core: { dataDir: opts.dataDir, host: opts.host, port: opts.port, roles: opts.roles } },
      });
      // A probe runs checks for a remote Skjold: no database, API or console of its own.
      if (isProbeRole(config.core.roles)) return startProbeRole(config, opts);
      const skjold = await createApp({ config });
      const { log } = skjold;
      if (skjold.tls?.createdNow) log.info({ fingerprint: skjold.tls.fingerprint }, 'generated a TLS certificate');
      const port = await skjold.listen();
      const fp = skjold.tls?.fingerprint ?? 'none';
      log.info({ port, database: skjold.database.describe, roles: config.core.roles, tlsFingerprint: fp }, 'skjold started');
      // A fresh install has nobody who can sign in: say how to make the first admin (here only, never on the
      // sign-in page, which would tell the network that the server is unclaimed).
      const firstAdmin = (await skjold.identity.service.hasActiveAdmin())
        ? ''
        : `No administrator yet. Create the first one (two-step verification is set up at the first sign-in):\n` +
          `  printf '%s' 'a long passphrase' | npx skjold admin create --username NAME --password-stdin` +
          `${opts.dataDir ? ` --data-dir ${shellWord(opts.dataDir)}` : ''}\n`;
      if (firstAdmin) log.warn('no enabled administrator: create one with `skjold admin create`');
      // Also on stderr in plain words, for the person who just typed `npm start`.
      process.stderr.write(
        `\nSkjold is listening on https://${config.core.host === '0.0.0.0' ? 'localhost' : config.core.host}:${port}/\n` +
          `TLS certificate SHA-256 fingerprint: ${fp}\n` +
          `Database: ${skjold.database.describe}\n${firstAdmin}\n`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down: finishing in-flight requests');
        const timer = setTimeout(() => {
          log.error('shutdown grace period over; exiting');
          process.exit(1);
        }, config.core.shutdownGraceSeconds * 1000);
        timer.unref();
        skjold
          .close()
          .then(() => {
            log.info('stopped; audit log flushed');
            process.exit(0);
          })
          .catch((e: unknown) => {
            log.error({ err: e }, 'shutdown failed');
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

/** `word` as one shell word: as it is when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
