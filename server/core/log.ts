// The one root pino logger; every module takes a child of it. Lines go to stdout through one asynchronous writer.
import { writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';
import { LineBatch } from './log-batch.ts';

function defaultLevel(): string {
  // Tests stay quiet unless asked; the CLI sets LOG_LEVEL itself for roles.
  // eslint-disable-next-line no-restricted-properties -- the logger is created before config is read
  const env = process.env;
  if (env['LOG_LEVEL']) return env['LOG_LEVEL'];
  return env['NODE_TEST_CONTEXT'] ? 'silent' : 'info';
}

/**
 * stdout through sonic-boom without blocking the event loop, behind a LineBatch (log-batch.ts). Lines are handed to
 * sonic-boom 64 at a time (or after 50 ms), and sonic-boom starts an asynchronous write for each batch (what arrives
 * while one is under way joins the next), so a busy edge writes its access log in batches: each asynchronous write
 * costs the event loop a thread-pool hand-off and a wake-up, ~12 µs, which one write per request paid on every hit.
 * Handing sonic-boom one line at a time cost more still: it measures its last buffered chunk on every write, and
 * with the 32 KiB chunks of stop 17 that was ~10 µs per line, a quarter of a playlist hit (pinned to one core). A
 * line reaches the file within ~50 ms. The
 * batch and pino's exit hook write what is left synchronously when the process exits, so the last lines before a
 * shutdown or a crash are not lost. Every logger of the process shares it, so lines never interleave.
 */
const sonic = pino.destination({ dest: 1, sync: false, maxWrite: 64 * 1024 });
const batch = new LineBatch(sonic, { maxLines: 64, maxDelayMs: 50, writeNow: writeAllSync });
batch.flushOnExit();
export const logDestination: DestinationStream = batch;

/** The whole chunk to stdout now (used at exit only), retrying a full pipe as sonic-boom's flushSync does. */
function writeAllSync(chunk: string): void {
  let buf = Buffer.from(chunk);
  for (let tries = 0; buf.length > 0 && tries < 1000; tries++) {
    try {
      buf = buf.subarray(writeSync(1, buf));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

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

export type { Logger };
