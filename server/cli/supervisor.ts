// Runs the roles of `edgeline up` as `edgeline` child processes with prefixed output, under core/process's one restart rule.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { childProcessHandle, type ChildHandle } from '../core/process/child-handle.ts';
import type { RestartPolicy } from '../core/process/restart-policy.ts';
import { SUPERVISED_ENV } from '../core/process/signals.ts';
import { Supervisor } from '../core/process/supervisor.ts';
import { BIN_PATH } from '../core/package-root.ts';

export interface ChildSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

export interface RoleSupervisorOptions {
  readonly env: Record<string, string | undefined>;
  /** Where prefixed child output goes (stderr by default). */
  readonly write?: (line: string) => void;
  readonly policy?: RestartPolicy;
  /** A role is in a crash loop and stays down. */
  readonly onGiveUp?: (name: string) => void;
  /** The command to run (tests run a stand-in); `edgeline` by default. */
  readonly command?: { readonly path: string; readonly args: readonly string[] };
}

/**
 * Each child gets an IPC channel: it then leaves Ctrl-C to this supervisor and stops by itself if the supervisor dies
 * (core/process/shutdown.ts), so a killed `edgeline up` leaves no role holding its port.
 */
export class RoleSupervisor extends Supervisor {
  private readonly write: (line: string) => void;
  private readonly command: { readonly path: string; readonly args: readonly string[] };

  constructor(private readonly roleOpts: RoleSupervisorOptions) {
    const write = roleOpts.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
    super({
      policy: roleOpts.policy,
      onExit: (name, _info, _decision, description) => write(`[${name.padEnd(8)}] ${description}`),
      onGiveUp: (name) => roleOpts.onGiveUp?.(name),
    });
    this.write = write;
    this.command = roleOpts.command ?? { path: process.execPath, args: [BIN_PATH] };
  }

  startRole(spec: ChildSpec): void {
    const pad = spec.name.padEnd(8);
    this.start({
      name: spec.name,
      start: (): ChildHandle => {
        const child = spawn(this.command.path, [...this.command.args, ...spec.args], { env: { ...this.roleOpts.env, ...spec.env, [SUPERVISED_ENV]: '1' }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
        for (const stream of [child.stdout, child.stderr]) {
          if (stream) createInterface({ input: stream }).on('line', (line) => this.write(`[${pad}] ${line}`));
        }
        return childProcessHandle(child);
      },
    });
  }
}
