// Sessions from beacons: schema limits, deltas, duplicates, final/idle/evicted endings, labels, and the metrics made from them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { beaconSchema, type Beacon, type BeaconSegment } from '../../../server/core/qoe/beacon-schema.ts';
import { createQoeMetrics } from '../../../server/core/qoe/qoe-metrics.ts';
import { SessionStore, cacheArmOf, pathKindOf, xCacheLabel } from '../../../server/core/qoe/session-store.ts';

function segment(sn: number, xCache: string | null, ttfbMs = 20): BeaconSegment {
  return { sn, level: 0, type: 'main', isInit: false, atMs: 100 * sn, durationS: 2, bytes: 50_000, ttfbMs, downloadMs: 40, throughputKbps: 10_000, xCache };
}

function beacon(over: Partial<Omit<Beacon, 'metrics'>> & { metrics?: Partial<Beacon['metrics']> } = {}): Beacon {
  const { metrics, ...rest } = over;
  return {
    v: 1,
    type: 'update',
    seq: 0,
    sessionId: 'session-0001',
    src: 'http://edge:8081/vod/sample/master.m3u8',
    arm: null,
    sentAtMs: 1000,
    segments: [],
    errors: [],
    ...rest,
    metrics: {
      startupMs: null, firstSegmentTtfbMs: null, stallCount: 0, stallMs: 0, watchMs: 0, avgBitrateKbps: null, peakBitrateKbps: null,
      renditionSwitches: 0, droppedFrames: 0, totalFrames: 0, fatalErrors: 0, recoveries: 0, nonFatalErrors: 0, currentTimeS: 0, bufferS: 0, level: -1,
      ...metrics,
    },
  };
}

describe('beaconSchema', () => {
  it('accepts a well-formed beacon and strips unknown fields', () => {
    const parsed = beaconSchema.parse({ ...beacon({ segments: [segment(0, 'HIT')] }), extra: 'x' });
    assert.equal('extra' in parsed, false);
  });

  it('rejects bad ids, versions, negative numbers and oversized arrays', () => {
    assert.equal(beaconSchema.safeParse(beacon({ sessionId: 'short' })).success, false);
    assert.equal(beaconSchema.safeParse({ ...beacon(), v: 2 }).success, false);
    assert.equal(beaconSchema.safeParse(beacon({ metrics: { stallCount: -1 } })).success, false);
    assert.equal(beaconSchema.safeParse(beacon({ arm: 'has space' })).success, false);
    assert.equal(beaconSchema.safeParse(beacon({ segments: Array.from({ length: 201 }, (_, i) => segment(i, null)) })).success, false);
  });
});

describe('labels', () => {
  it('derives path kind, X-Cache label and cache arm', () => {
    assert.equal(pathKindOf('http://e/live/ch1/master.m3u8'), 'live');
    assert.equal(pathKindOf('/vod/a/master.m3u8'), 'vod');
    assert.equal(pathKindOf('::not a url'), 'vod');
    assert.equal(xCacheLabel('HIT'), 'HIT');
    assert.equal(xCacheLabel('Hit from cloudfront'), 'HIT');
    assert.equal(xCacheLabel('miss, hit'), 'MISS');
    assert.equal(xCacheLabel('weird'), 'other');
    assert.equal(xCacheLabel(null), 'none');
    assert.equal(cacheArmOf({}), 'unknown');
    assert.equal(cacheArmOf({ none: 4 }), 'direct');
    assert.equal(cacheArmOf({ none: 1, MISS: 1 }), 'edge');
  });
});

describe('SessionStore', () => {
  it('accumulates a session, ignores repeats, and ends it on the final beacon', () => {
    let now = 1_000;
    const store = new SessionStore({ now: () => now });
    const first = store.apply(beacon({ type: 'start', seq: 0, arm: 'warm', segments: [segment(0, 'MISS')], metrics: { startupMs: 800, firstSegmentTtfbMs: 300, watchMs: 1000 } }));
    assert.equal(first.status, 'accepted');
    assert.equal(first.isNew, true);
    assert.equal(first.startupMs, 800);
    assert.equal(first.session.cacheArm, 'edge');
    now += 5_000;
    const second = store.apply(beacon({ seq: 1, segments: [segment(1, 'HIT')], metrics: { startupMs: 800, stallCount: 2, stallMs: 500, watchMs: 5000, fatalErrors: 1 } }));
    assert.equal(second.startupMs, undefined, 'startup is reported once');
    assert.deepEqual(second.deltas, { stalls: 2, stallMs: 500, watchMs: 4000, fatalErrors: 1 });
    assert.equal(store.apply(beacon({ seq: 1 })).status, 'duplicate');
    const fin = store.apply(beacon({ type: 'final', seq: 2, metrics: { startupMs: 800, stallCount: 2, stallMs: 500, watchMs: 9500 } }));
    assert.deepEqual(fin.finalized.map((s) => s.sessionId), ['session-0001']);
    assert.equal(fin.session.rebufferRatio, 0.05);
    assert.equal(store.apply(beacon({ seq: 3 })).status, 'late');
    const s = store.get('session-0001');
    assert.equal(s?.segments.length, 2);
    assert.deepEqual(s?.xCacheCounts, { MISS: 1, HIT: 1 });
    assert.equal(s?.arm, 'warm');
    assert.equal(s?.lastSeenAtMs, 6_000);
  });

  it('finalizes idle sessions on sweep and evicts the oldest when full', () => {
    let now = 0;
    const store = new SessionStore({ now: () => now, idleMs: 60_000, maxSessions: 2 });
    store.apply(beacon({ sessionId: 'aaaaaaaa' }));
    now = 30_000;
    store.apply(beacon({ sessionId: 'bbbbbbbb' }));
    now = 61_000;
    assert.deepEqual(store.sweep().map((s) => s.sessionId), ['aaaaaaaa']);
    assert.deepEqual(store.sweep(), [], 'once');
    const r = store.apply(beacon({ sessionId: 'cccccccc' }));
    assert.deepEqual(r.finalized, [], 'the evicted session was already finalized');
    assert.equal(store.size, 2);
    const r2 = store.apply(beacon({ sessionId: 'dddddddd' }));
    assert.deepEqual(r2.finalized.map((s) => [s.sessionId, s.finalizedBy]), [['bbbbbbbb', 'evicted']]);
    assert.deepEqual(store.list().map((s) => s.sessionId), ['dddddddd', 'cccccccc']);
    assert.deepEqual(store.list({ limit: 1 }).map((s) => s.sessionId), ['dddddddd']);
  });

  it('caps the segments kept per session and counts the rest', () => {
    const store = new SessionStore({ maxSegmentsPerSession: 3 });
    store.apply(beacon({ seq: 0, segments: [0, 1].map((i) => segment(i, null)) }));
    store.apply(beacon({ seq: 1, segments: [2, 3, 4].map((i) => segment(i, null)) }));
    const s = store.get('session-0001');
    assert.equal(s?.segments.length, 3);
    assert.equal(s?.segmentsDropped, 2);
    assert.equal(s?.cacheArm, 'direct');
  });
});

describe('createQoeMetrics', () => {
  it('observes startup once, counts deltas and segments, and records finals with their labels', async () => {
    const registry = new Registry();
    const metrics = createQoeMetrics(registry, 'edge', () => 7);
    const store = new SessionStore();
    metrics.record(store.apply(beacon({ type: 'start', seq: 0, segments: [segment(0, 'HIT', 30)], metrics: { startupMs: 1500, watchMs: 100 } })));
    metrics.record(store.apply(beacon({ type: 'final', seq: 1, segments: [segment(1, 'HIT')], metrics: { startupMs: 1500, stallCount: 1, stallMs: 250, watchMs: 750 } })));
    const text = await registry.metrics();
    assert.match(text, /hls_edge_qoe_startup_seconds_count\{kind="vod",arm="edge"\} 1/);
    assert.match(text, /hls_edge_qoe_startup_seconds_sum\{kind="vod",arm="edge"\} 1\.5/);
    assert.match(text, /hls_edge_qoe_stalls_total\{kind="vod",arm="edge"\} 1/);
    assert.match(text, /hls_edge_qoe_segments_total\{x_cache="HIT"\} 2/);
    assert.match(text, /hls_edge_qoe_rebuffer_ratio_sum\{kind="vod",arm="edge"\} 0\.25/);
    assert.match(text, /hls_edge_qoe_sessions_total\{kind="vod",arm="edge",started="true"\} 1/);
    assert.match(text, /hls_edge_qoe_sessions_stored 7/);
  });
});
