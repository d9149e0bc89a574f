// The player's QoE state machine with a fake clock: startup, stalls vs seeks, watch time, bitrate, and beacon deltas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BeaconSender } from '../../../player/beacon-sender.ts';
import { QoeMeter, type SegmentSample } from '../../../player/qoe-meter.ts';
import { BEACON_MAX_SEGMENTS, beaconSchema } from '../../../server/core/qoe/beacon-schema.ts';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 10_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function sample(sn: number, at: number, over: Partial<SegmentSample> = {}): SegmentSample {
  return { sn, level: 0, type: 'main', isInit: false, durationS: 2, bytes: 250_000, requestMs: at, firstByteMs: at + 50, endMs: at + 200, xCache: 'HIT', ...over };
}

describe('QoeMeter', () => {
  it('measures startup from the play request to `playing`, once the playhead moves', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    c.advance(100);
    m.onSegment(sample(0, c.now()));
    c.advance(600);
    m.onPlaying(0);
    c.advance(250);
    m.onTimeUpdate(0, false);
    assert.equal(m.metrics().startupMs, null, 'not until the playhead moves');
    m.onTimeUpdate(0.25, false);
    const s = m.snapshot();
    assert.equal(s.startupMs, 700);
    assert.equal(s.firstSegmentTtfbMs, 150);
    assert.equal(s.state, 'playing');
    assert.equal(s.watchMs, 250, 'watch time counts from the playing event');
  });

  it('a `waiting` before the playhead moves restarts the startup wait', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    c.advance(300);
    m.onPlaying(0);
    m.onWaiting(false);
    c.advance(400);
    m.onPlaying(0);
    c.advance(100);
    m.onTimeUpdate(0.1, false);
    assert.equal(m.metrics().startupMs, 700);
    assert.equal(m.metrics().stallCount, 0, 'startup delays are not stalls');
  });

  it('counts stalls after startup but not seeks, and computes the rebuffering ratio', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    m.onPlaying(0);
    m.onTimeUpdate(0.1, false);
    c.advance(3000);
    m.onWaiting(false);
    c.advance(1000);
    m.onPlaying(3);
    c.advance(1000);
    m.onSeeking();
    m.onWaiting(true);
    c.advance(2000);
    m.onSeeked(false);
    m.onPlaying(30);
    c.advance(2000);
    m.onWaiting(false);
    c.advance(500);
    m.onTimeUpdate(33, false); // a stall can end without a playing event
    c.advance(500);
    const s = m.snapshot();
    assert.equal(s.stallCount, 2);
    assert.equal(s.stallMs, 1500);
    assert.equal(s.watchMs, 6500);
    assert.equal(s.rebufferRatio, Math.round((1500 / 8000) * 1e5) / 1e5);
  });

  it('excludes paused time and counts an in-progress stall', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    m.onPlaying(0);
    m.onTimeUpdate(0.1, false);
    c.advance(1000);
    m.onPause();
    c.advance(60_000);
    m.onPlaying(1);
    c.advance(1000);
    m.onWaiting(false);
    c.advance(400);
    const s = m.metrics();
    assert.equal(s.watchMs, 2000);
    assert.equal(s.stallMs, 400);
  });

  it('weights the average bitrate by watch time and counts rendition switches', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    m.onLevelSwitched(0, 400);
    m.onPlaying(0);
    m.onTimeUpdate(0.1, false);
    c.advance(3000);
    m.onLevelSwitched(2, 2400);
    c.advance(1000);
    m.onLevelSwitched(2, 2400);
    const s = m.metrics();
    assert.equal(s.avgBitrateKbps, (400 * 3000 + 2400 * 1000) / 4000);
    assert.equal(s.peakBitrateKbps, 2400);
    assert.equal(s.renditionSwitches, 1);
    assert.equal(s.level, 2);
  });

  it('records segments with TTFB, download time and throughput, and errors by severity', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    m.onSegment(sample(-1, c.now(), { isInit: true, bytes: 900, xCache: null }));
    m.onSegment(sample(5, c.now() + 1000));
    const seg = m.segments[1];
    assert.deepEqual(
      seg && { ttfbMs: seg.ttfbMs, downloadMs: seg.downloadMs, throughputKbps: seg.throughputKbps, atMs: seg.atMs, xCache: seg.xCache },
      { ttfbMs: 50, downloadMs: 200, throughputKbps: 10_000, atMs: 1200, xCache: 'HIT' },
    );
    assert.equal(m.metrics().firstSegmentTtfbMs, 1050, 'the init segment does not count as the first segment');
    m.onError('networkError', 'fragLoadError', false);
    m.onError('mediaError', 'bufferStalledError', true);
    m.onRecovery();
    const s = m.snapshot();
    assert.deepEqual([s.nonFatalErrors, s.fatalErrors, s.recoveries], [1, 1, 1]);
    assert.deepEqual(s.xCacheCounts, { none: 1, HIT: 1 });
  });
});

describe('BeaconSender.build', () => {
  it('sends segment records as deltas, capped per beacon, in beacons the server accepts', () => {
    const c = clock();
    const m = new QoeMeter(c.now);
    m.playRequested();
    for (let i = 0; i < BEACON_MAX_SEGMENTS + 20; i++) m.onSegment(sample(i, c.now()));
    const sender = new BeaconSender({ endpoint: '/qoe', sessionId: 'abcdefgh12', src: 'http://e/vod/a/master.m3u8', arm: 'cold', meter: m });
    const first = sender.build('start');
    assert.equal(first.beacon.segments.length, BEACON_MAX_SEGMENTS);
    assert.equal(beaconSchema.safeParse(JSON.parse(first.body)).success, true);
    const second = sender.build('update');
    assert.equal(second.beacon.segments.length, 20);
    assert.equal(second.beacon.seq, 1);
    second.rollback();
    assert.equal(sender.build('update').beacon.segments.length, 20, 'a failed send is retried with the next beacon');
    assert.equal(sender.build('update').beacon.segments.length, 0);
  });

  it('never sends the query of a signed playlist URL, only its path', () => {
    const m = new QoeMeter(clock().now);
    const signed = 'https://cdn.example/vod/a/master.m3u8?Policy=eyJTdGF0ZW1lbnQi&Signature=abc~def&Key-Pair-Id=K2JCJMDEHXQW5F#t=10';
    const sender = new BeaconSender({ endpoint: '/qoe', sessionId: 'abcdefgh12', src: signed, arm: null, meter: m });
    const { beacon, body } = sender.build('start');
    assert.equal(beacon.src, 'https://cdn.example/vod/a/master.m3u8');
    assert.doesNotMatch(body, /Policy|Signature|Key-Pair-Id|K2JCJMDEHXQW5F/);
  });
});
