// A circuit breaker: after N consecutive failures stop calling for a cool-down, then let one probe through.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly clock: () => number;
  readonly onChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: BreakerState = 'closed';
  private probeInFlight = false;

  constructor(private readonly opts: CircuitBreakerOptions) {}

  get state(): BreakerState {
    if (this.current === 'open' && this.opts.clock() - this.openedAt >= this.opts.cooldownMs) this.set('half-open');
    return this.current;
  }

  /** May a call go through now? In half-open state only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probeInFlight = false;
    if (this.current !== 'closed') this.set('closed');
  }

  failure(): void {
    this.probeInFlight = false;
    this.failures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.opts.failureThreshold)) {
      this.openedAt = this.opts.clock();
      this.set('open');
    }
  }

  private set(s: BreakerState): void {
    if (s === this.current) return;
    this.current = s;
    this.opts.onChange?.(s);
  }
}
