// Runs the roles of `edgeline up` as child processes: prefixes their output, restarts one that dies, stops all cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN_PATH } from '../core/package-root.ts';


export interface ChildSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

interface Running {
  spec: ChildSpec;
  child: ChildProcess | undefined;
  restarts: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export interface SupervisorOptions {
  /** Where prefixed child output goes (stderr by default). */
  readonly write?: (line: string) => void;
  /** Restart a child that exits on its own after this delay; 0 disables restarts. */
  readonly restartDelayMs?: number;
  readonly env: Record<string, string | undefined>;
}

export class Supervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private readonly write: (line: string) => void;

  constructor(private readonly opts: SupervisorOptions) {
    this.write = opts.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  start(spec: ChildSpec): void {
    const r: Running = { spec, child: undefined, restarts: 0, restartTimer: undefined };
    this.running.set(spec.name, r);
    this.spawn(r);
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child?.pid;
  }

  private spawn(r: Running): void {
    const child = spawn(process.execPath, [BIN_PATH, ...r.spec.args], {
      env: { ...this.opts.env, ...r.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    r.child = child;
    const pad = r.spec.name.padEnd(8);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.write(`[${pad}] ${line}`));
    }
    child.on('exit', (code, signal) => {
      if (r.child !== child) return;
      r.child = undefined;
      if (this.stopping) return;
      const delay = this.opts.restartDelayMs ?? 2_000;
      this.write(`[${pad}] exited (${signal ?? `code ${code}`})${delay > 0 ? `; restarting in ${delay / 1000}s` : ''}`);
      if (delay <= 0) return;
      r.restarts += 1;
      r.restartTimer = setTimeout(() => {
        r.restartTimer = undefined;
        if (!this.stopping) this.spawn(r);
      }, Math.min(delay * r.restarts, 30_000));
    });
  }

  /** SIGTERM every child, SIGKILL what remains after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const r of this.running.values()) {
      if (r.restartTimer) clearTimeout(r.restartTimer);
      const child = r.child;
      if (!child || child.exitCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
  }
}
