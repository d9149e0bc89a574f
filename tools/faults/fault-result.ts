// What one fault records, and the pure rules that decide whether it passed.
import type { ViewerEvent } from './viewer.ts';
import type { ViewerTotals } from './viewer-pool.ts';

export const FAULT_NAMES = ['redis-loss', 'origin-loss', 'origin-freeze', 'edge-loss', 'live-ffmpeg-kill', 'slowloris', 'memory-bound', 'package-kill'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** One condition of a fault's pass rule, with what was measured. */
export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly measured: string;
}

/** Viewer requests in one second, relative to the fault (negative seconds are before it). */
export interface TimelinePoint {
  readonly s: number;
  readonly ok: number;
  readonly failed: number;
  readonly failedOver: number;
  /** Slowest request that started in this second, ms. */
  readonly maxMs: number | null;
}

export interface FaultResult {
  readonly name: FaultName;
  readonly title: string;
  /** The pass rule in words. */
  readonly rule: string;
  readonly pass: boolean;
  readonly viewers: ViewerTotals | null;
  /** The fault's recovery figure (what "recovered" means is in recoveryLabel); null when it never recovered. */
  readonly recoveryMs: number | null;
  /** null: the fault has no recovery figure (or never got to measure one). */
  readonly recoveryLabel: string | null;
  /** Other measured figures, by name (ms unless the name says otherwise). */
  readonly figures: Readonly<Record<string, number | string | null>>;
  readonly checks: readonly Check[];
  readonly timeline: readonly TimelinePoint[];
  /** Why the fault could not be run to the end (setup failed, a role did not come back). */
  readonly error: string | null;
}

export function check(name: string, pass: boolean, measured: string): Check {
  return { name, pass, measured };
}

/** The rule every fault shares: no request failed on every pathway, no stall, every viewer played. */
export function viewerChecks(t: ViewerTotals): Check[] {
  return [
    check('0 failed viewer requests', t.failedRequests === 0, `${t.failedRequests} of ${t.requests}`),
    check('0 stalls', t.stalls === 0, `${t.stalls} (${Math.round(t.stallMs)} ms)`),
    check('every viewer played', t.viewers > 0 && t.neverStarted === 0 && t.crashed === 0, `${t.viewers - t.neverStarted - t.crashed} of ${t.viewers}`),
  ];
}

/** A measured time against a limit; a time never measured (undefined) fails. */
export function withinMs(name: string, ms: number | undefined, limitMs: number): Check {
  return check(name, ms !== undefined && ms <= limitMs, ms === undefined ? `never (limit ${limitMs} ms)` : `${Math.round(ms)} ms (limit ${limitMs} ms)`);
}

/** A fault passes when it ran to the end and every check held. */
export function passes(checks: readonly Check[], error: string | null): boolean {
  return error === null && checks.length > 0 && checks.every((c) => c.pass);
}

/** Viewer requests (steering reloads left out) bucketed per second around `faultAtMs`, every second from first to last. */
export function timelineOf(events: readonly ViewerEvent[], faultAtMs: number): TimelinePoint[] {
  const player = events.filter((e) => e.kind !== 'steering');
  if (player.length === 0) return [];
  const second = (e: ViewerEvent): number => Math.floor((e.atMs - faultAtMs) / 1000);
  const first = Math.min(...player.map(second));
  const last = Math.max(...player.map(second));
  const points = new Map<number, { ok: number; failed: number; failedOver: number; maxMs: number | null }>();
  for (let s = first; s <= last; s++) points.set(s, { ok: 0, failed: 0, failedOver: 0, maxMs: null });
  for (const e of player) {
    const p = points.get(second(e));
    if (!p) continue;
    if (e.ok) p.ok += 1;
    else p.failed += 1;
    if (e.ok && e.failedOver) p.failedOver += 1;
    p.maxMs = Math.max(p.maxMs ?? 0, e.ms);
  }
  return [...points].map(([s, p]) => ({ s, ...p }));
}
