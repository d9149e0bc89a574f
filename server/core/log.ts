// The one root pino logger; every module takes a child of it. Lines go to stdout through one asynchronous writer.
import { pino, type DestinationStream, type Logger } from 'pino';

function defaultLevel(): string {
  // Tests stay quiet unless asked; the CLI sets LOG_LEVEL itself for roles.
  // eslint-disable-next-line no-restricted-properties -- the logger is created before config is read
  const env = process.env;
  if (env['LOG_LEVEL']) return env['LOG_LEVEL'];
  return env['NODE_TEST_CONTEXT'] ? 'silent' : 'info';
}

/**
 * stdout through sonic-boom without blocking the event loop. Lines are gathered and written 32 KiB at a time, or every
 * LOG_FLUSH_MS when fewer arrive, so a busy edge writes its access log in batches: each asynchronous write costs the
 * event loop a thread-pool hand-off and a wake-up, ~12 µs, which one write per request paid on every hit (at 4 KiB a batch, the writes were still ~4% of a worker's
 * time serving playlist hits, pinned to one core). A line
 * reaches the file within LOG_FLUSH_MS. pino flushes the buffer synchronously when the process exits (its on-exit
 * hook), so the last lines before a shutdown or a crash are not lost. Every logger of the process shares it, so
 * lines never interleave.
 */
const LOG_FLUSH_MS = 250;
export const logDestination: DestinationStream = pino.destination({ dest: 1, sync: false, minLength: 32 * 1024, maxWrite: 64 * 1024, periodicFlush: LOG_FLUSH_MS });

export const rootLogger: Logger = pino(
  {
    level: defaultLevel(),
    base: { pid: process.pid },
    // Never log credentials even when a whole request is logged by mistake.
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'token',
        // Settings objects logged whole (config dumps, errors carrying options) must not spill secrets either.
        'adminToken', 'originSecret', '*.adminToken', '*.originSecret', '*.token', 'passphrase', '*.passphrase',
      ],
      censor: '[redacted]',
    },
  },
  logDestination,
);

/**
 * A logger for lines whose fields are fixed and known to carry no secret (an access log line): the root logger's
 * level, pid and writer, without `redact`, which costs more than the rest of a line. Never log a whole object with it.
 */
export function plainLogger(bindings: Record<string, string>): Logger {
  return pino({ level: rootLogger.level, base: { pid: process.pid, ...bindings } }, logDestination);
}

export type { Logger };
