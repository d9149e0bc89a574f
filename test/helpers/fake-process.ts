// Stand-ins for `process` and for child processes, so the shutdown and supervision rules run without real signals.
import { EventEmitter } from 'node:events';
import type { ChildHandle, ExitInfo } from '../../server/core/process/child-handle.ts';
import type { ProcessHost, StopSignal } from '../../server/core/process/signals.ts';

/** Receives "signals" from the test and records exit codes instead of exiting. */
export class FakeHost extends EventEmitter implements ProcessHost {
  readonly exits: number[] = [];
  constructor(readonly isSupervised = false) {
    super();
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  signal(signal: StopSignal): void {
    this.emit(signal);
  }
}

/** A child that records the signals sent to it and exits when the test says (or on SIGTERM, if told to). */
export class FakeChild implements ChildHandle {
  readonly signals: NodeJS.Signals[] = [];
  hasExited = false;
  readonly exited: Promise<ExitInfo>;
  private resolveExit!: (info: ExitInfo) => void;

  constructor(readonly pid: number, private readonly exitsOnSigterm = true) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  kill(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    this.signals.push(signal);
    if (signal === 'SIGKILL' || (signal === 'SIGTERM' && this.exitsOnSigterm)) this.die(null, signal);
  }

  die(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.hasExited) return;
    this.hasExited = true;
    this.resolveExit({ code, signal });
  }
}

/** Lets pending promise callbacks run (exit handlers, awaited steps) between fake-timer ticks. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
