// The one root pino logger; every module takes a child of it.
import { pino, type Logger } from 'pino';

function defaultLevel(): string {
  // Tests stay quiet unless asked; the CLI sets LOG_LEVEL itself for roles.
  // eslint-disable-next-line no-restricted-properties -- the logger is created before config is read
  const env = process.env;
  if (env['LOG_LEVEL']) return env['LOG_LEVEL'];
  return env['NODE_TEST_CONTEXT'] ? 'silent' : 'info';
}

export const rootLogger: Logger = pino({
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
});

export type { Logger };
