// The tests' one polling helper: wait, bounded, until a condition that proves something holds (never a bare sleep).

export interface WaitOptions {
  /** Give up after this long (default 10 s): a stuck condition fails the test instead of hanging it. */
  readonly timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  readonly intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than undefined, null or false, and returns that. An error thrown by
 * `check` fails the wait at once (catch inside `check` what means "not yet", such as a refused connection). The
 * timeout's message names `what`.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
