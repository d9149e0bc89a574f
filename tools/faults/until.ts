// Bounded polling for the suite: how long until a condition held (a recovery time), or undefined if it never did.

/** Polls `check` every `intervalMs` until it returns true; resolves to the ms it took, or undefined after `timeoutMs`. */
export async function msUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50, signal?: AbortSignal): Promise<number | undefined> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (signal?.aborted || performance.now() - started > timeoutMs) return undefined;
    await pause(intervalMs);
  }
}

/** Like msUntil, but a condition that never holds is an error naming `what` (for setup steps, not measurements). */
export async function mustHold(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const ms = await msUntil(check, timeoutMs);
  if (ms === undefined) throw new Error(`fault suite: timed out after ${timeoutMs} ms waiting for ${what}`);
  return ms;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
