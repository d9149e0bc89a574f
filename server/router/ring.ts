// Consistent hashing with virtual nodes: each asset maps to a stable clockwise order of edges.
import { createHash } from 'node:crypto';

/** 160 points per node keeps every node's share within a few percent of 1/N (the ketama default). */
export const DEFAULT_VNODES = 160;

/** A 32-bit position on the ring. md5 is used for its spread, not for security. */
export function ringHash(key: string): number {
  return createHash('md5').update(key).digest().readUInt32BE(0);
}

/**
 * Nodes are placed at `vnodes` pseudo-random points each; a key belongs to the first point at or after its hash.
 * Adding or removing one node of N therefore moves only about 1/N of the keys, and only to or from that node.
 */
export class Ring {
  readonly nodes: readonly string[];
  private readonly points: Uint32Array;
  private readonly owners: number[];

  constructor(nodes: Iterable<string>, vnodes: number = DEFAULT_VNODES) {
    this.nodes = [...new Set(nodes)].sort();
    const entries: Array<[number, number]> = [];
    this.nodes.forEach((node, n) => {
      // One md5 gives four 32-bit points (ketama): a quarter of the hashing for the same spread.
      for (let i = 0; i < Math.ceil(vnodes / 4); i++) {
        const digest = createHash('md5').update(`${node}#${i}`).digest();
        for (let j = 0; j < 4 && i * 4 + j < vnodes; j++) entries.push([digest.readUInt32BE(j * 4), n]);
      }
    });
    // Ties (rare) break by node index, so every router builds the same ring from the same nodes.
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.points = Uint32Array.from(entries, (e) => e[0]);
    this.owners = entries.map((e) => e[1]);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Index of the first point at or after `hash`, wrapping to 0 past the end. */
  private firstPointAt(hash: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid] ?? 0) < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.points.length ? 0 : lo;
  }

  /** The node that owns `key` (undefined on an empty ring). */
  primary(key: string): string | undefined {
    if (this.points.length === 0) return undefined;
    return this.nodes[this.owners[this.firstPointAt(ringHash(key))] ?? 0];
  }

  /** Every node, in the order a key falls over to them: owner first, then the next distinct nodes clockwise. */
  walk(key: string): string[] {
    const order: string[] = [];
    if (this.points.length === 0) return order;
    const seen = new Set<number>();
    const start = this.firstPointAt(ringHash(key));
    for (let k = 0; k < this.points.length && seen.size < this.nodes.length; k++) {
      const owner = this.owners[(start + k) % this.points.length] ?? 0;
      if (seen.has(owner)) continue;
      seen.add(owner);
      order.push(this.nodes[owner] ?? '');
    }
    return order;
  }
}
