import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Fetched } from '../../../../tools/load-test/load-client.ts';
import type { RequestKind } from '../../../../tools/load-test/load-stats.ts';
import type { RenditionChoice } from '../../../../tools/load-test/options.ts';
import { parseMediaPlaylist } from '../../../../tools/load-test/playlist.ts';
import { Viewer, startSequence } from '../../../../tools/load-test/viewer.ts';

const BASE = 'http://127.0.0.1:9/vod/a/';

function master(): string {
  return ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=400000', 'low/index.m3u8', '#EXT-X-STREAM-INF:BANDWIDTH=1600000', 'high/index.m3u8', '#EXT-X-STREAM-INF:BANDWIDTH=800000', 'mid/index.m3u8'].join('\n');
}

function vod(segments: number): string {
  const out = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0'];
  for (let i = 0; i < segments; i++) out.push('#EXTINF:2.0,', `seg-${i}.ts`);
  out.push('#EXT-X-ENDLIST');
  return out.join('\n');
}

interface World {
  readonly viewer: Viewer;
  readonly requests: { url: string; kind: RequestKind; atMs: number }[];
  run(): Promise<void>;
}

/**
 * A viewer on a simulated network: each request takes `downloadMs(url, bytes)` of fake time, sleeps advance fake time,
 * and the run ends when fake time reaches `untilMs`. Nothing waits for real.
 */
function world(opts: {
  downloadMs: (url: string, bytes: number) => number;
  untilMs: number;
  rendition?: RenditionChoice;
  bytes?: (url: string) => number;
  playlist?: (url: string, nowMs: number) => string | undefined;
}): World {
  let now = 0;
  const requests: World['requests'] = [];
  const bytesOf = opts.bytes ?? ((url: string) => (url.includes('/high/') ? 400_000 : url.includes('/mid/') ? 200_000 : 100_000));
  const viewer = new Viewer(
    { targetUrl: `${BASE}master.m3u8`, rendition: opts.rendition ?? 'auto', buffer: { startupThresholdS: 4, resumeThresholdS: 4, maxBufferS: 30 } },
    {
      async get(url: string, kind: RequestKind): Promise<Fetched> {
        requests.push({ url, kind, atMs: now });
        const text = opts.playlist?.(url, now) ?? (url.endsWith('master.m3u8') ? master() : url.endsWith('.m3u8') ? vod(10) : undefined);
        const bytes = text === undefined ? bytesOf(url) : text.length;
        const ms = opts.downloadMs(url, bytes);
        now += ms;
        return { ok: true, status: 200, bytes, latencyUs: ms * 1000, text };
      },
      clock: () => now,
      async sleep(ms: number) {
        now += Math.max(ms, 1);
      },
      isStopping: () => now >= opts.untilMs,
      random: () => 0.99,
    },
  );
  return { viewer, requests, run: () => viewer.run() };
}

describe('Viewer', () => {
  it('plays without stalls when segments arrive faster than real time, paced by its buffer', async () => {
    // 100 kB per 2 s segment at 10 MB/s: 10 ms each.
    const w = world({ downloadMs: (_u, bytes) => 5 + bytes / 10_000, untilMs: 120_000, rendition: 'lowest' });
    await w.run();
    const s = w.viewer.snapshot();
    assert.equal(s.stallCount, 0);
    assert.ok(s.startupMs !== undefined && s.startupMs < 100, `startup ${s.startupMs}`);
    // Paced in real time: about 30 s of buffer ahead plus 120 s played, not thousands of segments.
    const segments = w.requests.filter((r) => r.kind === 'segment').length;
    assert.ok(segments >= 70 && segments <= 80, `${segments} segments`);
    assert.ok(s.loops >= 7, `loops ${s.loops}`);
    assert.equal(s.failure, undefined);
  });

  it('stalls when segments arrive slower than real time', async () => {
    // Every 2 s segment takes 3 s.
    const w = world({ downloadMs: (url) => (url.endsWith('.ts') ? 3_000 : 20), untilMs: 60_000, rendition: 'lowest' });
    await w.run();
    const s = w.viewer.snapshot();
    assert.ok(s.stallCount >= 5, `stalls ${s.stallCount}`);
    assert.ok(s.stallMs > 10_000, `stall ms ${s.stallMs}`);
    assert.equal(s.switches, 0, 'a fixed rendition never switches');
  });

  it('ABR: starts in the low middle and climbs when throughput allows', async () => {
    const w = world({ downloadMs: (_u, bytes) => 1 + bytes / 100_000, untilMs: 30_000 });
    await w.run();
    const s = w.viewer.snapshot();
    assert.equal(s.rendition, 2, 'ends on the highest rendition');
    assert.ok(s.switches >= 1);
    const firstSegment = w.requests.find((r) => r.kind === 'segment');
    assert.match(firstSegment?.url ?? '', /\/mid\//, 'the first segment comes from the middle rendition');
  });

  it('ABR: drops to the lowest rendition on a slow network and stops stalling there', async () => {
    // 100 kB/s (0.8 Mbit/s): only the 400 kbit/s rendition fits.
    const w = world({ downloadMs: (_u, bytes) => bytes / 100, untilMs: 120_000 });
    await w.run();
    const s = w.viewer.snapshot();
    assert.equal(s.rendition, 0);
    assert.ok(s.switches >= 1);
    const late = w.requests.filter((r) => r.kind === 'segment' && r.atMs > 30_000);
    assert.ok(late.length > 0 && late.every((r) => r.url.includes('/low/')), 'stays low');
  });

  it("reloads a live playlist after its last segment's duration when that is shorter than the target duration (hls.js)", async () => {
    // 2 s segments, one every 2 s; at 10 s a live encoder's 0.5 s partial segment, then 2 s segments again from 10.5 s.
    const listed = (nowMs: number): number[] => {
      const out: number[] = [];
      for (let t = 0; t <= nowMs && out.length < 40; t += t < 10_000 ? 2_000 : t === 10_000 ? 500 : 2_000) out.push(t);
      return out;
    };
    const live = (url: string, nowMs: number): string | undefined => {
      if (url.endsWith('master.m3u8')) return master();
      if (!url.endsWith('.m3u8')) return undefined;
      const times = listed(nowMs);
      const out = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0'];
      times.forEach((t, i) => out.push(`#EXTINF:${t === 10_000 ? '0.5' : '2.0'},`, `seg-${i}.ts`));
      return out.join('\n');
    };
    const w = world({ downloadMs: () => 10, untilMs: 20_000, rendition: 'lowest', playlist: live });
    await w.run();
    assert.equal(w.viewer.snapshot().failure, undefined);
    const loads = w.requests.filter((r) => r.url.endsWith('index.m3u8')).map((r) => r.atMs);
    const firstWithShort = loads.findIndex((t) => t >= 10_000);
    const next = loads[firstWithShort + 1];
    assert.ok(next !== undefined && next - (loads[firstWithShort] ?? 0) <= 600, `reloads ${loads.join(', ')}: the one after the 0.5 s segment came ${(next ?? NaN) - (loads[firstWithShort] ?? 0)} ms later`);
    assert.equal(w.viewer.snapshot().stallCount, 0);
  });

  it('follows a live playlist: starts three target durations from the end and reloads about every target duration', async () => {
    const live = (_url: string, nowMs: number): string | undefined => {
      if (_url.endsWith('master.m3u8')) return master();
      if (!_url.endsWith('.m3u8')) return undefined;
      const current = 100 + Math.floor(nowMs / 2_000);
      const out = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${current - 5}`];
      for (let i = current - 5; i <= current; i++) out.push('#EXTINF:2.0,', `seg-${i}.ts`);
      return out.join('\n');
    };
    const w = world({ downloadMs: () => 10, untilMs: 40_000, rendition: 'lowest', playlist: live });
    await w.run();
    const segs = w.requests.filter((r) => r.kind === 'segment').map((r) => Number(/seg-(\d+)/.exec(r.url)?.[1]));
    // Window 95..100 when the viewer joins; 98, 99 and 100 make up the last three target durations.
    assert.equal(segs[0], 98, 'three target durations (6 s = 3 segments) from the live edge');
    assert.deepEqual(segs, segs.map((_, i) => 98 + i), 'segments in order, none skipped or repeated');
    assert.ok((segs.at(-1) ?? 0) >= 118, `kept up with the live edge: last ${segs.at(-1)}`);
    const reloads = w.requests.filter((r) => r.url.endsWith('index.m3u8')).length;
    assert.ok(reloads >= 15 && reloads <= 45, `${reloads} media playlist loads in 40 s with a 2 s target duration`);
    assert.equal(w.viewer.snapshot().stallCount, 0);
  });

  it('retries a failing segment, then skips it', async () => {
    let now = 0;
    const v = new Viewer(
      { targetUrl: `${BASE}master.m3u8`, rendition: 'lowest', buffer: { startupThresholdS: 2, resumeThresholdS: 2, maxBufferS: 30 } },
      {
        async get(url: string): Promise<Fetched> {
          now += 10;
          if (url.endsWith('seg-1.ts')) return { ok: false, status: 503, bytes: 0, latencyUs: 1, text: undefined };
          const text = url.endsWith('master.m3u8') ? master() : url.endsWith('.m3u8') ? vod(3) : undefined;
          return { ok: true, status: 200, bytes: 1000, latencyUs: 10_000, text };
        },
        clock: () => now,
        async sleep(ms: number) {
          now += Math.max(ms, 1);
        },
        isStopping: () => now >= 5_000,
        random: () => 0,
      },
    );
    await v.run();
    const s = v.snapshot();
    assert.ok(s.skippedSegments >= 1);
    // Three attempts per skipped segment; the stop may cut the last segment's attempts short.
    assert.ok(s.failedRequests >= s.skippedSegments * 3 && s.failedRequests < (s.skippedSegments + 1) * 3, `${s.failedRequests} failed, ${s.skippedSegments} skipped`);
  });

  it('gives up on a malformed playlist and says why', async () => {
    let now = 0;
    const v = new Viewer(
      { targetUrl: `${BASE}master.m3u8`, rendition: 'auto', buffer: { startupThresholdS: 2, resumeThresholdS: 2, maxBufferS: 30 } },
      {
        get: async () => ({ ok: true, status: 200, bytes: 5, latencyUs: 1, text: 'hello' }),
        clock: () => now,
        sleep: async (ms) => { now += ms; },
        isStopping: () => now > 1_000,
        random: () => 0,
      },
    );
    await v.run();
    assert.match(v.snapshot().failure ?? '', /#EXTM3U/);
  });
});

describe('startSequence', () => {
  it('starts VOD at the first segment and live three target durations from the end (RFC 8216 §6.3.3)', () => {
    assert.equal(startSequence(parseMediaPlaylist(vod(10), BASE)), 0);
    const live = ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:50'];
    for (let i = 0; i < 6; i++) live.push('#EXTINF:4,', `s${i}.ts`);
    assert.equal(startSequence(parseMediaPlaylist(live.join('\n'), BASE)), 53);
  });
});
