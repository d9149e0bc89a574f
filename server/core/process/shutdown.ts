// One graceful shutdown for every long-running process: a stop signal runs ordered stop steps under a deadline, then exits.
import type { Logger } from '../log.ts';
import { exitCodeFor, realProcess, trapStopSignals, type ProcessHost } from './signals.ts';

/** One thing to stop, in order: stop taking requests before closing what the requests use. */
export interface ShutdownStep {
  readonly name: string;
  run(): Promise<unknown> | unknown;
}

/**
 * Within Docker's and Kubernetes' default 10 s between SIGTERM and SIGKILL, with room to spare: a role that has not
 * stopped by then exits anyway, with the signal's code, instead of being killed mid-write.
 */
export const SHUTDOWN_DEADLINE_MS = 8_000;

export interface ShutdownOptions {
  readonly steps?: readonly ShutdownStep[];
  readonly deadlineMs?: number;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Run before a second Ctrl-C (or the deadline) exits: SIGKILL children that are still stopping. */
  readonly onForce?: () => void;
  readonly host?: ProcessHost;
}

export interface Shutdown {
  /** Appends a step; steps run in the order added. */
  add(step: ShutdownStep): void;
  /** Starts the sequence without a signal (children in a crash loop, a supervisor gone); exits with `code`. */
  begin(reason: string, code: number): Promise<void>;
  readonly isStopping: boolean;
}

/**
 * Installs the process's one shutdown: SIGINT → exit 130, SIGTERM → exit 143 after the steps, or at the deadline.
 * A step that throws is logged and the next one still runs. A process started by a supervisor over IPC leaves Ctrl-C
 * to it and stops on its own when the supervisor is gone (the channel closes), so no role outlives `edgeline up` or
 * the edge's cluster primary, even one killed with SIGKILL.
 */
export function installShutdown(opts: ShutdownOptions = {}): Shutdown {
  const host = opts.host ?? realProcess;
  const steps: ShutdownStep[] = [...(opts.steps ?? [])];
  const deadlineMs = opts.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  let running: Promise<void> | undefined;
  let current: string | undefined;

  const run = (reason: string, code: number): Promise<void> => {
    running ??= (async () => {
      opts.logger?.info({ reason, steps: steps.map((s) => s.name) }, 'shutting down');
      const deadline = setTimeout(() => {
        opts.logger?.warn({ reason, deadlineMs, step: current }, 'shutdown did not finish in time; exiting anyway');
        opts.onForce?.();
        host.exit(code);
      }, deadlineMs);
      for (const step of steps) {
        current = step.name;
        try {
          await step.run();
        } catch (err) {
          opts.logger?.error({ err, step: step.name }, 'shutdown step failed; going on with the next');
        }
      }
      current = undefined;
      clearTimeout(deadline);
      host.exit(code);
    })();
    return running;
  };

  const supervised = host.isSupervised;
  trapStopSignals({ host, ignoreSigint: supervised, onForce: opts.onForce, onSignal: (signal) => void run(signal, exitCodeFor(signal)) });
  if (supervised) host.on('disconnect', () => void run('the supervisor is gone', 1));

  return {
    add: (step) => void steps.push(step),
    begin: run,
    get isStopping() {
      return running !== undefined;
    },
  };
}
