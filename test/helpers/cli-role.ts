// A role of the built CLI (bin/edgeline.js) as a child process: started, ready once it answers /healthz, stopped.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './wait-for.ts';

export const BIN = new URL('../../bin/edgeline.js', import.meta.url).pathname;

export interface CliRole {
  readonly child: ChildProcess;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** `edgeline <args>` (after `nodeArgs`, node's own flags), waiting until `healthUrl` answers 2xx; fails at once if the process exits before. */
export async function startCliRole(args: readonly string[], healthUrl: string, opts: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions; nodeArgs?: readonly string[] } = {}): Promise<CliRole> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], { env: opts.env ?? process.env, stdio: opts.stdio ?? ['ignore', 'ignore', 'inherit'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(`edgeline ${args[0] ?? ''} to answer ${healthUrl}`, async () => {
      if (child.exitCode !== null) throw new Error(`edgeline ${args[0] ?? ''} exited (code ${child.exitCode}) before answering`);
      return fetch(healthUrl).then((r) => r.ok, () => false);
    }, { timeoutMs: 30_000, intervalMs: 200 });
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, stop };
}
