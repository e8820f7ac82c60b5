import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SkjoldConfig } from '../app.ts';
import { systemClock } from '../core/clock.ts';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { probeAgentConfig, runProbeAgent, type ProbeAgentConfig } from '../modules/monitoring/index.ts';

/** Options of `skjold start` that only the probe role reads (`--server`, `--server-ca`, `--server-fingerprint`). */
export interface ProbeStartOptions {
  server?: string;
  serverCa?: string;
  serverFingerprint?: string;
}

/** Whether the roles name the probe; the probe runs alone (it has no database and serves no API). */
export function isProbeRole(roles: string): boolean {
  const list = roles.split(',').map((r) => r.trim());
  if (!list.includes('probe')) return false;
  if (list.length > 1) throw new Error('the probe role runs alone: start it with --roles probe');
  return true;
}

/**
 * `skjold start --roles probe`: no database, no API, no console. Polls its checks from `--server` with the token in
 * $SKJOLD_PROBE_TOKEN, runs them, and reports the results; stops cleanly on SIGTERM/SIGINT.
 */
export async function startProbeRole(config: SkjoldConfig, opts: ProbeStartOptions): Promise<void> {
  // The probe section comes from the environment and the flags only (a config file holds the server's sections).
  const probe = loadConfig([probeAgentConfig], {
    file: '',
    overrides: { probe: { server: opts.server, serverCa: opts.serverCa, serverFingerprint: opts.serverFingerprint } },
  })['probe'] as ProbeAgentConfig;
  const log = createLogger(config.core.logLevel);
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
  const agent = await runProbeAgent({
    config: probe,
    monitoring: config.monitoring,
    log,
    clock: systemClock,
    userAgent: `skjold-probe/${pkg.version ?? 'dev'}`,
  });
  const s = agent.stats();
  log.info({ server: probe.server, location: s.location, monitors: s.monitors }, 'skjold probe started');
  process.stderr.write(
    `\nSkjold probe reporting to ${probe.server}` +
      (s.location ? ` as location ${s.location} (${s.monitors} monitors)\n\n` : ' (not connected yet; retrying)\n\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'probe: shutting down');
    const timer = setTimeout(() => process.exit(1), config.core.shutdownGraceSeconds * 1000);
    timer.unref();
    agent
      .stop()
      .then(() => {
        log.info(agent.stats(), 'probe: stopped');
        process.exit(0);
      })
      .catch((e: unknown) => {
        log.error({ err: e }, 'probe: shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
