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
 * stdout through sonic-boom, behind a LineBatch (log-batch.ts): lines are handed to sonic-boom 64 at a time (or after
 * 50 ms), and sonic-boom writes each batch at once with one write(2) of ~5 KB. One write per request cost a busy edge
 * a write each time (in sonic-boom's asynchronous mode, a thread-pool hand-off and a wake-up, ~12 µs, per write). The asynchronous mode also lost lines on a crash: the chunk its thread was still
 * writing when the process died (up to 64 KiB; test/integration/log-exit.test.ts caught it), which its exit flush
 * cannot write again without risking a duplicate. With synchronous writes nothing is ever in flight: the batch and
 * pino's exit hook write what is left when the process exits, calls process.exit or crashes, so no line is lost. Like
 * console.log on Linux, a write to a full pipe waits for its reader. Every logger of the process shares the batch, so
 * lines never interleave; a line reaches stdout within ~50 ms.
 */
const sonic = pino.destination({ dest: 1, sync: true });
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
