// Keeps named children running under the one restart rule, and stops them all cleanly: used by `edgeline up` and the edge's cluster primary.
import { describeExit, stopChild, type ChildHandle, type ExitInfo } from './child-handle.ts';
import { DEFAULT_RESTART_POLICY, decideRestart, type RestartDecision, type RestartPolicy } from './restart-policy.ts';
import { SHUTDOWN_DEADLINE_MS } from './shutdown.ts';

export interface SupervisedChild {
  readonly name: string;
  /** Starts one run of the child; called again for each restart. */
  start(): ChildHandle;
}

/** Longer than a child's own shutdown deadline, so SIGKILL is for a child that cannot stop itself. */
export const STOP_GRACE_MS = SHUTDOWN_DEADLINE_MS + 2_000;

export interface SupervisorOptions {
  readonly policy?: RestartPolicy;
  /** A child exited on its own (not during stop): what happened and what comes next, for the log. */
  readonly onExit?: (name: string, info: ExitInfo, decision: RestartDecision, description: string) => void;
  /** A child is in a crash loop; it stays down. The owner usually stops everything and exits 1. */
  readonly onGiveUp?: (name: string, quickDeaths: number) => void;
}

interface Slot {
  readonly child: SupervisedChild;
  current: ChildHandle | undefined;
  startedAt: number;
  quickDeaths: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private readonly policy: RestartPolicy;
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions = {}) {
    this.policy = opts.policy ?? DEFAULT_RESTART_POLICY;
  }

  start(child: SupervisedChild): void {
    if (this.slots.has(child.name)) throw new Error(`a child named "${child.name}" is already supervised`);
    const slot: Slot = { child, current: undefined, startedAt: 0, quickDeaths: 0, restartTimer: undefined };
    this.slots.set(child.name, slot);
    this.run(slot);
  }

  /** The running process of a child, if it is up. */
  pid(name: string): number | undefined {
    const current = this.slots.get(name)?.current;
    return current && !current.hasExited ? current.pid : undefined;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private run(slot: Slot): void {
    if (this.stopping) return;
    const handle = slot.child.start();
    slot.current = handle;
    slot.startedAt = Date.now();
    void handle.exited.then((info) => this.onExited(slot, handle, info));
  }

  private onExited(slot: Slot, handle: ChildHandle, info: ExitInfo): void {
    if (slot.current !== handle || this.stopping) return;
    slot.current = undefined;
    const decision = decideRestart(this.policy, slot.quickDeaths, Date.now() - slot.startedAt);
    slot.quickDeaths = decision.quickDeaths;
    const what = describeExit(info);
    const name = slot.child.name;
    if (decision.action === 'give-up') {
      this.opts.onExit?.(name, info, decision, `exited (${what}); ${decision.quickDeaths} quick deaths in a row, giving up`);
      this.opts.onGiveUp?.(name, decision.quickDeaths);
      return;
    }
    this.opts.onExit?.(name, info, decision, `exited (${what}); restarting in ${(decision.delayMs / 1000).toFixed(1)} s`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.run(slot);
    }, decision.delayMs);
  }

  /** No more restarts; SIGTERM every child, SIGKILL what still runs after `graceMs`. Resolves once all have exited. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      if (slot.current) waits.push(stopChild(slot.current, graceMs));
    }
    await Promise.all(waits);
  }

  /** SIGKILL every child now (a second Ctrl-C, a missed deadline). */
  kill(): void {
    this.stopping = true;
    for (const slot of this.slots.values()) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.current?.kill('SIGKILL');
    }
  }
}
