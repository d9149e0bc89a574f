// Recent playback sessions built from QoE beacons: bounded in sessions and segments, idle sessions finalized, injected clock.
import type { Beacon, BeaconError, BeaconMetrics, BeaconSegment } from './beacon-schema.ts';

export type PathKind = 'vod' | 'live';
/** Whether the session played through a cache tier: `edge` once any segment carried X-Cache, `direct` when none did. */
export type CacheArm = 'direct' | 'edge' | 'unknown';
/** X-Cache values as metric labels (DESIGN.md's set), plus `none` (absent) and `other`. */
export type XCacheLabel = 'HIT' | 'MISS' | 'STALE' | 'REVALIDATED' | 'BYPASS' | 'ERROR' | 'none' | 'other';

export interface SessionRecord {
  readonly sessionId: string;
  readonly src: string;
  /** The page's ?arm= label, as sent. */
  readonly arm: string | null;
  readonly kind: PathKind;
  cacheArm: CacheArm;
  readonly firstSeenAtMs: number;
  lastSeenAtMs: number;
  beacons: number;
  lastSeq: number;
  lastType: Beacon['type'];
  /** Why the session is over: its final beacon, no beacon for the idle timeout, or pushed out of the store. */
  finalizedBy: 'final' | 'idle' | 'evicted' | null;
  metrics: BeaconMetrics;
  /** stall ÷ (stall + watch), computed here from the reported times; null before any watch or stall time. */
  rebufferRatio: number | null;
  readonly xCacheCounts: Partial<Record<XCacheLabel, number>>;
  readonly segments: BeaconSegment[];
  segmentsDropped: number;
  readonly errors: BeaconError[];
}

export interface ApplyResult {
  readonly status: 'accepted' | 'duplicate' | 'late';
  readonly session: SessionRecord;
  readonly isNew: boolean;
  /** Set by the beacon that first reports a startup time. */
  readonly startupMs: number | undefined;
  readonly firstSegmentTtfbMs: number | undefined;
  /** Growth of the cumulative counters since the previous beacon of the session. */
  readonly deltas: { readonly stalls: number; readonly stallMs: number; readonly watchMs: number; readonly fatalErrors: number };
  readonly newSegments: readonly BeaconSegment[];
  /** Sessions that ended because of this beacon: this one on `final`, older ones pushed out of a full store. */
  readonly finalized: readonly SessionRecord[];
}

export interface SessionStoreOptions {
  readonly maxSessions?: number;
  readonly maxSegmentsPerSession?: number;
  readonly maxErrorsPerSession?: number;
  /** A session with no beacon for this long is finalized (a tab killed without pagehide never sends its final beacon). */
  readonly idleMs?: number;
  readonly now?: () => number;
}

const KNOWN_X_CACHE = new Set<XCacheLabel>(['HIT', 'MISS', 'STALE', 'REVALIDATED', 'BYPASS', 'ERROR']);

/** `HIT`, `Hit from cloudfront`, `hit, miss` (two tiers) -> the first word, if it is one DESIGN.md names. */
export function xCacheLabel(raw: string | null): XCacheLabel {
  if (raw === null || raw.trim() === '') return 'none';
  const first = (/^[A-Za-z_]+/.exec(raw.trim())?.[0] ?? '').toUpperCase();
  return KNOWN_X_CACHE.has(first as XCacheLabel) ? (first as XCacheLabel) : 'other';
}

/** `/live/…` playlists are live; everything else (`/vod/…`, unknown shapes) counts as VOD. */
export function pathKindOf(src: string): PathKind {
  let path: string;
  try {
    path = new URL(src, 'http://placeholder.invalid').pathname;
  } catch {
    path = src;
  }
  return /(^|\/)live\//.test(path) ? 'live' : 'vod';
}

export function cacheArmOf(counts: Partial<Record<XCacheLabel, number>>): CacheArm {
  let total = 0;
  for (const [label, n] of Object.entries(counts)) {
    if (label !== 'none' && (n ?? 0) > 0) return 'edge';
    total += n ?? 0;
  }
  return total > 0 ? 'direct' : 'unknown';
}

export function rebufferRatioOf(m: Pick<BeaconMetrics, 'stallMs' | 'watchMs'>): number | null {
  const total = m.stallMs + m.watchMs;
  return total > 0 ? m.stallMs / total : null;
}

export class SessionStore {
  /** Map order is least recently updated first. */
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly maxSessions: number;
  private readonly maxSegments: number;
  private readonly maxErrors: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(opts: SessionStoreOptions = {}) {
    this.maxSessions = opts.maxSessions ?? 500;
    this.maxSegments = opts.maxSegmentsPerSession ?? 500;
    this.maxErrors = opts.maxErrorsPerSession ?? 50;
    this.idleMs = opts.idleMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  apply(beacon: Beacon): ApplyResult {
    const now = this.now();
    const existing = this.sessions.get(beacon.sessionId);
    const noDeltas = { stalls: 0, stallMs: 0, watchMs: 0, fatalErrors: 0 };
    if (existing && existing.finalizedBy !== null) {
      return { status: 'late', session: existing, isNew: false, startupMs: undefined, firstSegmentTtfbMs: undefined, deltas: noDeltas, newSegments: [], finalized: [] };
    }
    if (existing && beacon.seq <= existing.lastSeq) {
      return { status: 'duplicate', session: existing, isNew: false, startupMs: undefined, firstSegmentTtfbMs: undefined, deltas: noDeltas, newSegments: [], finalized: [] };
    }
    const previous = existing?.metrics;
    const session: SessionRecord = existing ?? {
      sessionId: beacon.sessionId,
      src: beacon.src,
      arm: beacon.arm,
      kind: pathKindOf(beacon.src),
      cacheArm: 'unknown',
      firstSeenAtMs: now,
      lastSeenAtMs: now,
      beacons: 0,
      lastSeq: -1,
      lastType: beacon.type,
      finalizedBy: null,
      metrics: beacon.metrics,
      rebufferRatio: null,
      xCacheCounts: {},
      segments: [],
      segmentsDropped: 0,
      errors: [],
    };
    session.lastSeenAtMs = now;
    session.beacons += 1;
    session.lastSeq = beacon.seq;
    session.lastType = beacon.type;
    session.metrics = beacon.metrics;
    session.rebufferRatio = rebufferRatioOf(beacon.metrics);
    for (const seg of beacon.segments) {
      const label = xCacheLabel(seg.xCache);
      session.xCacheCounts[label] = (session.xCacheCounts[label] ?? 0) + 1;
      if (session.segments.length < this.maxSegments) session.segments.push(seg);
      else session.segmentsDropped += 1;
    }
    for (const err of beacon.errors) if (session.errors.length < this.maxErrors) session.errors.push(err);
    session.cacheArm = cacheArmOf(session.xCacheCounts);

    const m = beacon.metrics;
    const deltas = {
      stalls: Math.max(0, m.stallCount - (previous?.stallCount ?? 0)),
      stallMs: Math.max(0, m.stallMs - (previous?.stallMs ?? 0)),
      watchMs: Math.max(0, m.watchMs - (previous?.watchMs ?? 0)),
      fatalErrors: Math.max(0, m.fatalErrors - (previous?.fatalErrors ?? 0)),
    };
    const startupIsNew = m.startupMs !== null && (previous?.startupMs ?? null) === null;
    const ttfbIsNew = m.firstSegmentTtfbMs !== null && (previous?.firstSegmentTtfbMs ?? null) === null;

    this.sessions.delete(session.sessionId);
    this.sessions.set(session.sessionId, session);
    const finalized: SessionRecord[] = [];
    if (beacon.type === 'final') {
      session.finalizedBy = 'final';
      finalized.push(session);
    }
    finalized.push(...this.evictOverflow());
    return {
      status: 'accepted',
      session,
      isNew: !existing,
      startupMs: startupIsNew ? (m.startupMs ?? undefined) : undefined,
      firstSegmentTtfbMs: ttfbIsNew ? (m.firstSegmentTtfbMs ?? undefined) : undefined,
      deltas,
      newSegments: beacon.segments,
      finalized,
    };
  }

  /** Finalize sessions idle for longer than the idle timeout; returns them. */
  sweep(): SessionRecord[] {
    const cutoff = this.now() - this.idleMs;
    const out: SessionRecord[] = [];
    for (const s of this.sessions.values()) {
      if (s.lastSeenAtMs > cutoff) break; // least recently updated first: the rest are newer
      if (s.finalizedBy === null) {
        s.finalizedBy = 'idle';
        out.push(s);
      }
    }
    return out;
  }

  private evictOverflow(): SessionRecord[] {
    const out: SessionRecord[] = [];
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.values().next();
      if (oldest.done) break;
      this.sessions.delete(oldest.value.sessionId);
      if (oldest.value.finalizedBy === null) {
        oldest.value.finalizedBy = 'evicted';
        out.push(oldest.value);
      }
    }
    return out;
  }

  get(sessionId: string): SessionRecord | undefined {
    return this.sessions.get(sessionId);
  }

  /** Newest first, optionally only one ?arm= label or sessions seen since a time. */
  list(filter: { arm?: string; sinceMs?: number; limit?: number } = {}): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const s of [...this.sessions.values()].reverse()) {
      if (filter.arm !== undefined && s.arm !== filter.arm) continue;
      if (filter.sinceMs !== undefined && s.lastSeenAtMs < filter.sinceMs) continue;
      out.push(s);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  get size(): number {
    return this.sessions.size;
  }
}
