// SIGINT/SIGTERM for every command: the first one starts the command's own stop; a second Ctrl-C stops at once.
import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** The shell's convention for a process ended by signal N: 128 + N (SIGINT → 130, SIGTERM → 143). */
export function exitCodeFor(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** What the helpers need of `process`; tests hand in a fake. */
export interface ProcessHost {
  on(event: StopSignal | 'disconnect', listener: () => void): void;
  off(event: StopSignal | 'disconnect', listener: () => void): void;
  exit(code: number): void;
  /** Started by one of edgeline's supervisors (`edgeline up`, the edge's cluster primary), with an IPC channel to it. */
  readonly isSupervised: boolean;
}

/**
 * Set to "1" by edgeline's supervisors in their children's environment. The IPC channel alone does not say who the
 * parent is: PM2 and other process managers open one too, and stop their apps with SIGINT.
 */
export const SUPERVISED_ENV = 'EDGELINE_SUPERVISED';

export const realProcess: ProcessHost = {
  on: (event, listener) => void process.on(event, listener),
  off: (event, listener) => void process.off(event, listener),
  exit: (code) => process.exit(code),
  get isSupervised() {
    // eslint-disable-next-line no-restricted-properties -- a marker our own supervisor sets, not a setting
    return process.channel !== undefined && process.env[SUPERVISED_ENV] === '1';
  },
};

export interface TrapOptions {
  /** Called once, with the first stop signal. */
  readonly onSignal: (signal: StopSignal) => void;
  /**
   * A terminal's Ctrl-C reaches every process of its group, supervisor and children alike. A supervised child leaves
   * SIGINT to its supervisor, which stops it with SIGTERM, so one Ctrl-C is one orderly stop and not two racing ones.
   */
  readonly ignoreSigint?: boolean;
  /** Called just before a second Ctrl-C exits, to take children down with it. */
  readonly onForce?: () => void;
  readonly host?: ProcessHost;
}

export interface SignalTrap {
  /** The first stop signal received, if any. */
  readonly received: StopSignal | undefined;
  /** Gives the signals back (a one-shot command that finished). */
  dispose(): void;
}

/**
 * Installs SIGINT and SIGTERM handlers. The first signal calls `onSignal`; a later SIGINT exits at once with 130 (a
 * second Ctrl-C means "now", as in docker compose and npm); a repeated SIGTERM changes nothing (the stop under way
 * has its own deadline). Every command's signal handling goes through here.
 */
export function trapStopSignals(opts: TrapOptions): SignalTrap {
  const host = opts.host ?? realProcess;
  let received: StopSignal | undefined;
  const handle = (signal: StopSignal): void => {
    if (signal === 'SIGINT' && opts.ignoreSigint) return;
    if (received === undefined) {
      received = signal;
      opts.onSignal(signal);
      return;
    }
    if (signal === 'SIGINT') {
      opts.onForce?.();
      host.exit(exitCodeFor('SIGINT'));
    }
  };
  const listeners = new Map<StopSignal, () => void>(STOP_SIGNALS.map((s) => [s, () => handle(s)]));
  for (const [signal, listener] of listeners) host.on(signal, listener);
  return {
    get received() {
      return received;
    },
    dispose() {
      for (const [signal, listener] of listeners) host.off(signal, listener);
    },
  };
}

/**
 * For one-shot commands (package, loadtest, compare, …): the first stop signal aborts the returned signal, so the
 * command stops its work, cleans up and returns; `exitCode` is then 130 or 143.
 */
export function abortOnStopSignal(opts: { readonly onSignal?: (signal: StopSignal) => void; readonly host?: ProcessHost } = {}): SignalTrap & { readonly signal: AbortSignal; readonly exitCode: number | undefined } {
  const controller = new AbortController();
  const trap = trapStopSignals({
    host: opts.host,
    onSignal: (signal) => {
      opts.onSignal?.(signal);
      controller.abort(new Error(`interrupted (${signal})`));
    },
  });
  return {
    signal: controller.signal,
    get received() {
      return trap.received;
    },
    get exitCode() {
      return trap.received === undefined ? undefined : exitCodeFor(trap.received);
    },
    dispose: () => trap.dispose(),
  };
}
