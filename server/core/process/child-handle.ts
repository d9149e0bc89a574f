// A child process as a supervisor sees it (a spawned process or a cluster worker), and the one way to stop one.
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:cluster';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (spawn error). */
  readonly error?: Error;
}

export interface ChildHandle {
  readonly pid: number | undefined;
  readonly hasExited: boolean;
  /** Resolves once, when the process has exited (or failed to start). */
  readonly exited: Promise<ExitInfo>;
  kill(signal: NodeJS.Signals): void;
}

function handle(pid: number | undefined, kill: (signal: NodeJS.Signals) => void, listen: (done: (info: ExitInfo) => void) => void): ChildHandle {
  let hasExited = false;
  const exited = new Promise<ExitInfo>((resolve) =>
    listen((info) => {
      hasExited = true;
      resolve(info);
    }),
  );
  return {
    pid,
    get hasExited() {
      return hasExited;
    },
    exited,
    kill(signal) {
      if (!hasExited) kill(signal);
    },
  };
}

export function childProcessHandle(child: ChildProcess): ChildHandle {
  return handle(
    child.pid,
    (signal) => child.kill(signal),
    (done) => {
      child.once('exit', (code, signal) => done({ code, signal }));
      // A spawn failure (ENOENT, EACCES) may come without an exit event.
      child.once('error', (error) => {
        if (child.pid === undefined) done({ code: null, signal: null, error });
      });
    },
  );
}

export function clusterWorkerHandle(worker: Worker): ChildHandle {
  return handle(
    worker.process.pid,
    (signal) => worker.process.kill(signal),
    (done) => worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => done({ code, signal })),
  );
}

/**
 * SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves once it has exited. The grace is longer than
 * a role's own shutdown deadline (SHUTDOWN_DEADLINE_MS), so SIGKILL is only for a child that cannot stop itself.
 */
export async function stopChild(child: ChildHandle, graceMs: number): Promise<void> {
  if (child.hasExited) return;
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGTERM');
  await child.exited;
  clearTimeout(kill);
}

/** What a supervisor prints about an exit: "code 1", "SIGKILL", or the spawn error. */
export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not start: ${info.error.message}`;
  return info.signal ?? `code ${info.code ?? '?'}`;
}
