// The one way the origin starts ffmpeg or ffprobe: own process group, killed with its group on abort, time limit or exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import type { FfmpegPaths } from './paths.ts';

export interface SpawnToolOptions {
  /** Aborting kills the whole process group with SIGKILL. */
  readonly signal?: AbortSignal;
  /** Kill the group with SIGKILL after this long; `exited` then says `timedOut`. */
  readonly timeLimitMs?: number;
  /** Written with the child's pid while it runs (crash recovery reads it: see leftover-process.ts); removed at exit. */
  readonly pidFile?: string;
  /** Called with each chunk of stderr (utf8). */
  readonly onStderr?: (chunk: string) => void;
  /** Collect stdout (ffprobe's JSON) up to this many bytes; more fails the run. Default: stdout is ignored. */
  readonly maxStdoutBytes?: number;
}

export interface ToolExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error: Error | undefined;
  readonly stdout: string;
  /** The last STDERR_KEEP_CHARS of stderr. */
  readonly stderr: string;
  readonly isAborted: boolean;
  readonly isTimedOut: boolean;
  readonly isStdoutTooLarge: boolean;
}

export interface ToolRun {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves (never rejects) when the process has exited and its pipes are read. */
  readonly exited: Promise<ToolExit>;
  /** Signal the whole process group (ffmpeg and anything it started). */
  kill(signal?: NodeJS.Signals): void;
}

const STDERR_KEEP_CHARS = 16_000;

/** Every group started here and still running: killed synchronously if this process exits without stopping them. */
const running = new Set<number>();
let isExitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the process group, which the detached child leads (pgid = its pid).
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  // 'exit' runs on process.exit(), a normal end and an uncaught exception; SIGKILL runs nothing, which is what the
  // pid files are for.
  process.on('exit', () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
  });
}

let setprivPath: string | null | undefined;

/**
 * util-linux's setpriv, when installed: `setpriv --pdeathsig KILL -- ffmpeg …` asks the kernel to SIGKILL the child
 * when this process dies, even by SIGKILL, which no exit hook sees. It execs ffmpeg in place (same pid), so the pid
 * file and /proc/PID/cmdline still name ffmpeg. Without it, the pid files and crash recovery are the safety net.
 */
function setpriv(): string | null {
  if (setprivPath === undefined) setprivPath = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;
  return setprivPath;
}

/** Runs `binary args`; the child leads its own process group, so a Ctrl-C at the terminal reaches only edgeline. */
export function spawnTool(paths: Pick<FfmpegPaths, 'env'>, binary: string, args: readonly string[], opts: SpawnToolOptions = {}): ToolRun {
  installExitHook();
  const wrapper = process.platform === 'linux' ? setpriv() : null;
  const child = spawn(wrapper ?? binary, wrapper ? ['--pdeathsig', 'KILL', '--', binary, ...args] : args, {
    detached: true,
    stdio: ['ignore', opts.maxStdoutBytes !== undefined ? 'pipe' : 'ignore', 'pipe'],
    env: paths.env,
    windowsHide: true,
  });
  const pid = child.pid;
  let isAborted = false;
  let isTimedOut = false;
  let isStdoutTooLarge = false;
  let stdout = '';
  let stdoutBytes = 0;
  let stderr = '';
  const kill = (signal: NodeJS.Signals = 'SIGKILL'): void => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) killGroup(pid, signal);
  };
  if (pid !== undefined) {
    running.add(pid);
    if (opts.pidFile) writeFileSync(opts.pidFile, `${pid}\n`, { mode: 0o644 });
  }
  const onAbort = (): void => {
    isAborted = true;
    kill('SIGKILL');
  };
  const timer = opts.timeLimitMs !== undefined
    ? setTimeout(() => {
      isTimedOut = true;
      kill('SIGKILL');
    }, opts.timeLimitMs)
    : undefined;
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  child.stdout?.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (opts.maxStdoutBytes !== undefined && stdoutBytes > opts.maxStdoutBytes) {
      isStdoutTooLarge = true;
      kill('SIGKILL');
      return;
    }
    stdout += chunk.toString('utf8');
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
    opts.onStderr?.(chunk);
  });

  const exited = new Promise<ToolExit>((resolve) => {
    let error: Error | undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) running.delete(pid);
      if (opts.pidFile && existsSync(opts.pidFile)) rmSync(opts.pidFile, { force: true });
      resolve({ code, signal, error, stdout, stderr, isAborted, isTimedOut, isStdoutTooLarge });
    };
    child.once('error', (err) => {
      error = err;
      // A spawn failure (ENOENT, EACCES) comes without 'close' when no process was made.
      if (pid === undefined) finish(null, null);
    });
    // 'close', not 'exit': stderr is fully read by then, so the reason is not cut off.
    child.once('close', (code, signal) => finish(code, signal));
  });
  return { child, pid, exited, kill };
}
