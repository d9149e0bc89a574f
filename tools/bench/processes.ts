// Child processes of the benchmark: start one with its output in a log file, wait until it answers, stop it by its id.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { request } from 'undici';

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: boolean;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Every child still running, so a crash or Ctrl-C of the benchmark can stop them (by id, nothing else). */
const running = new Set<Child>();

export function startChild(o: StartOptions): Child {
  if (isStopping) throw new Error(`${o.name}: not started, the benchmark is stopping`);
  const fd = openSync(o.logFile, 'a');
  // stdout and stderr go straight to a file: the benchmark's own event loop never relays a server's logs.
  const proc: ChildProcess = spawn(o.command, [...o.args], { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`${o.name}: could not start ${o.command}`);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      exited = true;
      resolve();
    });
    proc.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const child: Child = {
    name: o.name,
    pid: proc.pid,
    logFile: o.logFile,
    get exited() {
      return exited;
    },
    async stop(graceMs = 8_000) {
      running.delete(child);
      if (exited) return;
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(kill);
    },
  };
  running.add(child);
  return child;
}

/** Load tools and probes under way (runCommand), so an interrupted run stops them before removing their folders. */
const commands = new Set<ChildProcess>();
/** Set by stopAll: from then on nothing new is started (a run interrupted mid-section must not leave orphans). */
let isStopping = false;

export async function stopAll(): Promise<void> {
  isStopping = true;
  const tools = [...commands].map(
    (proc) =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('close', () => resolve());
        proc.kill('SIGKILL');
      }),
  );
  await Promise.all([...tools, ...[...running].map((c) => c.stop())]);
}

/** Polls `url` until it answers 200 (or `isReady` accepts the answer); throws with the log's tail on timeout or exit. */
export async function waitReady(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited) throw new Error(`${child.name} exited while starting:\n${tail(child.logFile)}`);
    try {
      const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${tail(child.logFile)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The absolute path of an executable on PATH (plus the sbin folders, where nginx lives), or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a command to completion and returns its exit code and combined output (for version probes and wrk). */
export function runCommand(command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    if (isStopping) return resolve({ code: null, output: `${command}: not started, the benchmark is stopping` });
    const proc = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    commands.add(proc);
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      commands.delete(proc);
      resolve({ code: null, output: err.message });
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      commands.delete(proc);
      resolve({ code, output });
    });
  });
}

/**
 * Node's arguments to run one of the bench's own scripts as a child: compiled (dist/, run by `npm run bench`) it needs
 * nothing, so the child holds only its own code; from source it needs the tsx loader.
 */
export function nodeScriptArgs(file: string): string[] {
  return file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
}
