// The edge's view of its origins for /healthz: probed in the background, so health answers never wait on the origin.

export interface OriginReport {
  readonly url: string;
  readonly reachable: boolean;
  readonly status?: number;
}

export interface OriginState {
  /** Any origin answered the last probe (below 500); null before the first probe finished. */
  readonly reachable: boolean | null;
  /** When the last probe finished (ISO time); null before the first. */
  readonly checkedAt: string | null;
  readonly origins: readonly OriginReport[];
}

/** Runs `probe` now and then every `intervalMs` (never two at once) and keeps the last answer. */
export class OriginProbe {
  private last: OriginState = { reachable: null, checkedAt: null, origins: [] };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly probe: () => Promise<readonly OriginReport[]>,
    private readonly intervalMs: number,
    private readonly clock: () => number,
  ) {}

  get state(): OriginState {
    return this.last;
  }

  start(): void {
    if (this.timer) return;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One probe (shared with one already running). */
  runOnce(): Promise<void> {
    this.running ??= this.probe()
      .then(
        (origins) => {
          this.last = { reachable: origins.length === 0 ? null : origins.some((o) => o.reachable), checkedAt: new Date(this.clock()).toISOString(), origins };
        },
        () => {
          this.last = { reachable: false, checkedAt: new Date(this.clock()).toISOString(), origins: this.last.origins };
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
