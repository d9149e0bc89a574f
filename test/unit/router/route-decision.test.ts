// Routing decisions: region first, consistent hash inside it, spill-over past overloaded edges, cross-region fallback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EdgeView } from '../../../server/router/edge-directory.ts';
import type { RegionSource } from '../../../server/router/region.ts';
import { RingSet, decideRoute } from '../../../server/router/route-decision.ts';

function edge(n: number, region: string, opts: { healthy?: boolean; load?: number; originReachable?: boolean } = {}): EdgeView {
  const url = `http://127.0.0.1:${8080 + n}`;
  const healthy = opts.healthy ?? true;
  return { key: url, probeUrl: url, id: `edge-${n}`, url, region, sources: ['config'], status: healthy ? 'up' : 'down', healthy, originReachable: opts.originReachable, load: opts.load, lastOkAt: 0, lastCheckAt: 0, consecutiveFailures: 0, lastError: undefined };
}

const EU = [edge(1, 'eu'), edge(2, 'eu'), edge(3, 'eu')];
const US = [edge(4, 'us'), edge(5, 'us')];
const ALL = [...EU, ...US];
const ASSETS = Array.from({ length: 300 }, (_, i) => `asset-${i}`);

let version = 0;
function decide(asset: string, region: string | undefined, edges: readonly EdgeView[], overloadThreshold = 0, source: RegionSource = 'query') {
  // Same membership → same ring version; health and load changes do not rebuild rings.
  const rings = new RingSet(160);
  rings.rebuild(++version, edges);
  return decideRoute({ asset, viewerRegion: region, regionSource: region ? source : 'none', edges, rings, overloadThreshold });
}

/** The same edges, with some marked down or loaded (same keys, so the same rings). */
function withState(changes: Record<string, { healthy?: boolean; load?: number; originReachable?: boolean }>): EdgeView[] {
  return ALL.map((e) => {
    const c = changes[e.id];
    if (!c) return e;
    const healthy = c.healthy ?? e.healthy;
    return { ...e, healthy, status: healthy ? 'up' : 'down', load: c.load ?? e.load, originReachable: c.originReachable ?? e.originReachable };
  });
}

describe('decideRoute', () => {
  test('keeps a viewer in its region and spreads assets over that region’s edges', () => {
    const used = new Set<string>();
    for (const asset of ASSETS) {
      const d = decide(asset, 'eu', ALL);
      assert.equal(d.result, 'primary');
      assert.equal(d.edge?.region, 'eu');
      assert.equal(d.isCrossRegion, false);
      used.add(d.edge?.id ?? '');
    }
    assert.deepEqual([...used].sort(), ['edge-1', 'edge-2', 'edge-3']);
  });

  test('the same asset always lands on the same edge (for every rendition and segment)', () => {
    for (const asset of ASSETS.slice(0, 50)) assert.equal(decide(asset, 'us', ALL).edge?.id, decide(asset, 'us', ALL).edge?.id);
  });

  test('an unhealthy edge’s assets fail over to the next healthy edge; the others stay put', () => {
    const down = withState({ 'edge-1': { healthy: false } });
    for (const asset of ASSETS) {
      const before = decide(asset, 'eu', ALL);
      const after = decide(asset, 'eu', down);
      if (before.edge?.id === 'edge-1') {
        assert.equal(after.result, 'failover');
        assert.notEqual(after.edge?.id, 'edge-1');
        assert.equal(after.edge?.region, 'eu');
        assert.equal(after.candidates[0]?.verdict, 'unhealthy');
      } else {
        assert.equal(after.edge?.id, before.edge?.id, `${asset} moved although its edge is healthy`);
      }
    }
  });

  test('spills past an overloaded edge to the next one on the ring', () => {
    const asset = ASSETS.find((a) => decide(a, 'eu', ALL).edge?.id === 'edge-2') ?? '';
    const normal = decide(asset, 'eu', ALL, 100);
    const hot = decide(asset, 'eu', withState({ 'edge-2': { load: 500 } }), 100);
    assert.equal(hot.result, 'spill');
    assert.equal(hot.isSpill, true);
    assert.equal(hot.edge?.region, 'eu');
    assert.equal(hot.edge?.id, normal.candidates[1]?.id, 'the next edge clockwise takes it');
    assert.deepEqual(hot.candidates.slice(0, 2).map((c) => c.verdict), ['overloaded', 'chosen']);
  });

  test('load at the threshold is not overload, and a threshold of 0 switches spill-over off', () => {
    const asset = ASSETS.find((a) => decide(a, 'eu', ALL).edge?.id === 'edge-2') ?? '';
    assert.equal(decide(asset, 'eu', withState({ 'edge-2': { load: 100 } }), 100).edge?.id, 'edge-2');
    assert.equal(decide(asset, 'eu', withState({ 'edge-2': { load: 10_000 } }), 0).edge?.id, 'edge-2');
  });

  test('when every healthy edge of the region is overloaded, the asset stays on its first healthy edge', () => {
    const asset = ASSETS[7] ?? '';
    const primary = decide(asset, 'eu', ALL).edge?.id;
    const d = decide(asset, 'eu', withState({ 'edge-1': { load: 900 }, 'edge-2': { load: 900 }, 'edge-3': { load: 900 } }), 100);
    assert.equal(d.edge?.id, primary);
    assert.equal(d.result, 'primary');
  });

  test('falls back to another region when none is healthy in the viewer’s', () => {
    const d = decide('asset-1', 'us', withState({ 'edge-4': { healthy: false }, 'edge-5': { healthy: false } }));
    assert.equal(d.result, 'cross_region');
    assert.equal(d.isCrossRegion, true);
    assert.equal(d.edge?.region, 'eu');
    assert.match(d.reason, /no healthy edge in region "us"/);
  });

  test('a region without edges, or an unknown region, uses the ring of all edges', () => {
    const far = decide('asset-1', 'ap', ALL);
    assert.equal(far.result, 'cross_region');
    assert.match(far.reason, /no edge is configured in region "ap"/);
    const unknown = decide('asset-1', undefined, ALL);
    assert.equal(unknown.result, 'primary');
    assert.equal(unknown.ring, '*');
    assert.equal(unknown.regionSource, 'none');
    assert.equal(far.edge?.id, unknown.edge?.id, 'both use the same all-edges ring');
  });

  test('no healthy edge anywhere: unavailable', () => {
    const dead = ALL.map((e) => ({ ...e, healthy: false, status: 'down' as const }));
    const d = decide('asset-1', 'eu', dead);
    assert.equal(d.result, 'unavailable');
    assert.equal(d.edge, undefined);
    assert.equal(decide('asset-1', 'eu', []).result, 'unavailable');
  });

  test('prefers an edge that reaches its origin, but never drains edges because their origin is unreachable', () => {
    const asset = ASSETS.find((a) => decide(a, 'eu', ALL).edge?.id === 'edge-1') ?? '';
    const one = decide(asset, 'eu', withState({ 'edge-1': { originReachable: false } }));
    assert.notEqual(one.edge?.id, 'edge-1', 'another edge of the region, whose origin answers, takes it');
    assert.equal(one.edge?.region, 'eu');
    assert.equal(one.candidates.find((c) => c.id === 'edge-1')?.verdict, 'origin-unreachable');
    // The origin itself frozen: every edge says so, and every one still serves what it holds.
    const frozen = Object.fromEntries(ALL.map((e) => [e.id, { originReachable: false }]));
    const all = decide(asset, 'eu', withState(frozen));
    assert.equal(all.edge?.id, 'edge-1', 'the asset stays on its primary edge, whose cache is warm');
    assert.equal(all.result, 'primary');
  });
});
