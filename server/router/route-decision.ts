// Pure routing decision: viewer region first, then the asset's place on that region's ring, spilling and falling back.
import type { DecisionResult } from './router-metrics.ts';
import type { EdgeView } from './edge-directory.ts';
import type { RegionSource } from './region.ts';
import { Ring, ringHash } from './ring.ts';

export interface Candidate {
  readonly id: string;
  readonly url: string;
  readonly region: string;
  readonly status: EdgeView['status'];
  readonly load: number | undefined;
  readonly isOverloaded: boolean;
  /** Why the walk went past this edge, or `chosen`; undefined for edges after the chosen one. */
  readonly verdict: 'chosen' | 'unhealthy' | 'overloaded' | 'origin-unreachable' | undefined;
}

export interface RouteDecision {
  readonly asset: string;
  readonly result: DecisionResult;
  readonly edge: EdgeView | undefined;
  readonly viewerRegion: string | undefined;
  readonly regionSource: RegionSource;
  /** The ring the edge came from: the viewer's region, or `*` (every edge) when falling back or when the region is unknown. */
  readonly ring: string;
  readonly ringPosition: number;
  readonly isSpill: boolean;
  readonly isCrossRegion: boolean;
  readonly reason: string;
  /** In ring order for this asset: every edge of the ring that was used, with its verdict. */
  readonly candidates: readonly Candidate[];
}

export const ANY_REGION = '*';

/** Hash rings per region plus one over every edge, rebuilt only when the directory's membership changes. */
export class RingSet {
  private builtFor = -1;
  private rings = new Map<string, Ring>();
  private readonly vnodes: number;

  constructor(vnodes: number) {
    this.vnodes = vnodes;
  }

  /** Rings hold every known edge, healthy or not, so an edge's health flapping never reshuffles other assets. */
  rebuild(version: number, edges: readonly EdgeView[]): void {
    if (version === this.builtFor) return;
    const byRegion = new Map<string, string[]>();
    for (const e of edges) byRegion.set(e.region, [...(byRegion.get(e.region) ?? []), e.key]);
    this.rings = new Map([...byRegion].map(([region, keys]) => [region, new Ring(keys, this.vnodes)]));
    this.rings.set(ANY_REGION, new Ring(edges.map((e) => e.key), this.vnodes));
    this.builtFor = version;
  }

  get(region: string): Ring | undefined {
    return this.rings.get(region);
  }
}

export interface DecideInput {
  readonly asset: string;
  readonly viewerRegion: string | undefined;
  readonly regionSource: RegionSource;
  readonly edges: readonly EdgeView[];
  readonly rings: RingSet;
  /** Load above which an edge is passed over while another healthy edge has room; 0 switches spill-over off. */
  readonly overloadThreshold: number;
}

interface Walk {
  readonly edge: EdgeView | undefined;
  readonly isSpill: boolean;
  readonly isFailover: boolean;
  readonly candidates: Candidate[];
}

function isOverloaded(e: EdgeView, threshold: number): boolean {
  return threshold > 0 && e.load !== undefined && e.load > threshold;
}

/** The edge says it cannot reach its origin: it still serves what it holds, so it is a second choice, never down. */
export function isOriginUnreachable(e: EdgeView): boolean {
  return e.originReachable === false;
}

/**
 * Walks the ring from the asset's position: the first healthy edge with room whose origin is reachable wins. When
 * every healthy edge says its origin is unreachable (the origin itself is frozen or gone), they are all still routed
 * to, in ring order, as they serve what they hold; when every healthy edge is overloaded, the first healthy one takes
 * it anyway: spilling further cannot help, and it keeps the asset's cache warm.
 */
function walkRing(ring: Ring, asset: string, byKey: ReadonlyMap<string, EdgeView>, threshold: number): Walk {
  const order = ring.walk(asset).flatMap((k) => byKey.get(k) ?? []);
  const healthy = order.filter((e) => e.healthy);
  const withRoom = healthy.filter((e) => !isOverloaded(e, threshold));
  const chosen = withRoom.find((e) => !isOriginUnreachable(e)) ?? withRoom[0] ?? healthy[0];
  let isPastChosen = false;
  const candidates = order.map((e): Candidate => {
    let verdict: Candidate['verdict'];
    if (e === chosen) verdict = 'chosen';
    else if (!isPastChosen) verdict = !e.healthy ? 'unhealthy' : isOverloaded(e, threshold) ? 'overloaded' : 'origin-unreachable';
    if (e === chosen) isPastChosen = true;
    return { id: e.id, url: e.url, region: e.region, status: e.status, load: e.load, isOverloaded: isOverloaded(e, threshold), verdict };
  });
  const passed = candidates.filter((c) => c.verdict !== 'chosen' && c.verdict !== undefined);
  return {
    edge: chosen,
    isSpill: passed.some((c) => c.verdict === 'overloaded'),
    isFailover: passed.some((c) => c.verdict === 'unhealthy' || c.verdict === 'origin-unreachable'),
    candidates: chosen ? candidates : candidates.map((c) => ({ ...c, verdict: 'unhealthy' as const })),
  };
}

export function decideRoute(input: DecideInput): RouteDecision {
  const { asset, viewerRegion, regionSource, edges, rings, overloadThreshold } = input;
  const byKey = new Map(edges.map((e) => [e.key, e]));
  const base = { asset, viewerRegion, regionSource, ringPosition: ringHash(asset) };
  const regionRing = viewerRegion ? rings.get(viewerRegion) : undefined;
  let why = viewerRegion ? `no edge is configured in region "${viewerRegion}"` : 'viewer region unknown';
  if (viewerRegion && regionRing && regionRing.size > 0) {
    const walk = walkRing(regionRing, asset, byKey, overloadThreshold);
    if (walk.edge) {
      const result: DecisionResult = walk.isSpill ? 'spill' : walk.isFailover ? 'failover' : 'primary';
      const reason = {
        primary: `asset's primary edge in region "${viewerRegion}"`,
        failover: `next healthy edge on region "${viewerRegion}"'s ring (edges before it are down)`,
        spill: `spilled past overloaded edge(s) in region "${viewerRegion}" (load > ${overloadThreshold})`,
      }[result as 'primary' | 'failover' | 'spill'];
      return { ...base, result, edge: walk.edge, ring: viewerRegion, isSpill: walk.isSpill, isCrossRegion: false, reason, candidates: walk.candidates };
    }
    why = `no healthy edge in region "${viewerRegion}"`;
  }
  const anyRing = rings.get(ANY_REGION);
  const walk = anyRing ? walkRing(anyRing, asset, byKey, overloadThreshold) : undefined;
  if (!walk?.edge) {
    return { ...base, result: 'unavailable', edge: undefined, ring: ANY_REGION, isSpill: false, isCrossRegion: false, reason: 'no healthy edge in any region', candidates: walk?.candidates ?? [] };
  }
  // Region known but unusable: any healthy edge on the all-edges ring (those of the viewer's region are all down anyway).
  const isCrossRegion = viewerRegion !== undefined;
  const result: DecisionResult = isCrossRegion ? 'cross_region' : walk.isSpill ? 'spill' : walk.isFailover ? 'failover' : 'primary';
  const reason = isCrossRegion ? `${why}: fell back to region "${walk.edge.region}"` : `${why}: asset's place on the ring of all edges`;
  return { ...base, result, edge: walk.edge, ring: ANY_REGION, isSpill: walk.isSpill, isCrossRegion, reason, candidates: walk.candidates };
}
