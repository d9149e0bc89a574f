// Lua scripts on Redis, loaded one way for every caller: ioredis defineCommand (EVALSHA, EVAL again on NOSCRIPT).
import type { RedisClient } from './redis-client.ts';

export type ScriptArg = string | number | Buffer;

/** A script bound to one client: call it with its keys and arguments. */
export type RedisScript = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

type Defined = (...keysThenArgs: ScriptArg[]) => Promise<unknown>;

/**
 * Defines `name` on the client once (a second definition of the same name on the same client is reused) and returns
 * a caller. ioredis sends EVALSHA and, after a Redis restart or on a fresh server (NOSCRIPT), EVAL with the source; in
 * a cluster it routes by the first key, so a script's keys must share a hash slot.
 */
export function defineScript(client: RedisClient, name: string, numberOfKeys: number, lua: string): RedisScript {
  const commands = client as unknown as Record<string, Defined | undefined>;
  if (typeof commands[name] !== 'function') client.defineCommand(name, { numberOfKeys, lua });
  const command = commands[name];
  if (!command) throw new Error(`Redis script ${name} could not be defined`);
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`Redis script ${name} takes ${numberOfKeys} key(s), got ${keys.length}`);
    return command.call(client, ...keys, ...args);
  };
}
