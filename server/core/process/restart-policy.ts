// The one restart rule for supervised children (`edgeline up`'s roles, the edge's cluster workers): backoff and a crash-loop limit.

export interface RestartPolicy {
  /** Delay before the first restart, doubled for each further quick death in a row. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A child that ran at least this long was healthy: its death starts the count again. */
  readonly stableAfterMs: number;
  /** Quick deaths in a row (each within stableAfterMs of starting) that are restarted; one more is a crash loop. */
  readonly maxQuickRestarts: number;
}

/**
 * As PM2's min_uptime/max_restarts and supervisord's startsecs/startretries: a child that dies within 10 s of starting
 * is restarted after 0.2, 0.4, 0.8, 1.6, 3.2 s; the sixth such death in a row is a crash loop (a port in use, a bad
 * setting) and the supervisor gives up instead of spinning. A child that ran 10 s or more restarts after 0.2 s.
 */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 200, maxDelayMs: 30_000, stableAfterMs: 10_000, maxQuickRestarts: 5 };

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly quickDeaths: number }
  | { readonly action: 'give-up'; readonly quickDeaths: number };

/** What to do about a child that died after `uptimeMs`, having died quickly `quickDeaths` times in a row before. */
export function decideRestart(policy: RestartPolicy, quickDeaths: number, uptimeMs: number): RestartDecision {
  const quick = uptimeMs < policy.stableAfterMs ? quickDeaths + 1 : 0;
  if (quick > policy.maxQuickRestarts) return { action: 'give-up', quickDeaths: quick };
  const delayMs = Math.min(policy.initialDelayMs * 2 ** Math.max(0, quick - 1), policy.maxDelayMs);
  return { action: 'restart', delayMs, quickDeaths: quick };
}
