import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (pino). Secrets never reach a log line: see `redact`. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'skjold' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.secret',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    // Synchronous writes: the last lines before an exit (shutdown, a fatal error) are never lost.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
