// Edge prefetch with real edges, real Redis and a counting origin: a viewer's segment n brings n+1…n+k into the cache.
import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listen, type Listening } from '../../server/core/listen.ts';
import { writeMediaPlaylist } from '../../server/core/hls/write-media.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig, type EdgeConfig } from '../../server/edge/edge-config.ts';
import { Prefetcher } from '../../server/edge/prefetch.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SEGMENTS = 6;

async function metric(edge: EdgeApp, name: string): Promise<number> {
  const text = await edge.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

const segmentName = (i: number, ext = 'ts'): string => `seg-${String(i).padStart(5, '0')}.${ext}`;

/** A media playlist and its segments at the origin under `folder` (e.g. /vod/a/240p/). */
function publish(origin: CountingOrigin, folder: string, opts: { kind?: 'vod' | 'live'; first?: number; ext?: string; count?: number } = {}): void {
  const first = opts.first ?? 0;
  const segments = Array.from({ length: opts.count ?? SEGMENTS }, (_, i) => ({ uri: segmentName(first + i, opts.ext), durationSeconds: 2 }));
  const text = writeMediaPlaylist({ kind: opts.kind ?? 'vod', segments, mediaSequence: first, ...(opts.ext === 'm4s' ? { segmentFormat: 'fmp4' as const, mapUri: 'init.mp4' } : {}) });
  origin.set(`${folder}index.m3u8`, { body: text, headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': opts.kind === 'live' ? 'max-age=1' : 'max-age=30' } });
  for (const s of segments) origin.set(`${folder}${s.uri}`, { body: Buffer.alloc(4096, s.uri), headers: { 'content-type': 'video/mp2t', 'cache-control': 'max-age=1209600, immutable' } });
}

async function get(server: Listening, path: string): Promise<{ status: number; xcache: string | null }> {
  const res = await fetch(`${server.url}${path}`);
  await res.arrayBuffer();
  return { status: res.status, xcache: res.headers.get('x-cache') };
}

describe('edge prefetch', { timeout: 60_000 }, () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-prefetch');
  const edges: EdgeApp[] = [];
  const servers: Listening[] = [];

  async function startEdge(id: string, overrides: Partial<EdgeConfig> = {}): Promise<[EdgeApp, Listening]> {
    const edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id, ...overrides }));
    const server = await listen(edge, { port: 0 });
    edges.push(edge);
    servers.push(server);
    return [edge, server];
  }

  before(async () => {
    origin = await startCountingOrigin();
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(edges.map((e) => e.close()));
    await origin.stop();
    await prefix.cleanup();
  });

  it('after segment 0, the origin is asked for segments 1 and 2, and fetching them is a HIT', async () => {
    const [edge, server] = await startEdge('prefetch-a');
    const folder = '/vod/pa/240p/';
    publish(origin, folder);
    assert.equal((await get(server, `${folder}index.m3u8`)).status, 200);
    assert.equal((await get(server, `${folder}${segmentName(0)}`)).xcache, 'MISS');
    await waitFor('segments 1 and 2 prefetched', async () => origin.count(`${folder}${segmentName(1)}`) === 1 && origin.count(`${folder}${segmentName(2)}`) === 1 && (await metric(edge, 'hls_edge_prefetched_total')) === 2);
    assert.equal(origin.count(`${folder}${segmentName(3)}`), 0, 'k = 2: segment 0 asks for no more than 1 and 2');

    for (const i of [1, 2]) {
      const r = await get(server, `${folder}${segmentName(i)}`);
      assert.equal(r.status, 200);
      assert.equal(r.xcache, 'HIT', `segment ${i} was in the cache`);
      assert.equal(origin.count(`${folder}${segmentName(i)}`), 1, `segment ${i} reached the origin once, ahead of the viewer`);
    }
    assert.equal(await metric(edge, 'hls_edge_prefetch_hits_total'), 2);
    // Segments 1 and 2 each moved the window on: 3 and 4 follow.
    await waitFor('segments 3 and 4 prefetched', () => origin.count(`${folder}${segmentName(3)}`) === 1 && origin.count(`${folder}${segmentName(4)}`) === 1);
  });

  it('starts on the next segments while the viewer\'s own miss is still on its way from the origin', async () => {
    const [, server] = await startEdge('prefetch-e');
    const folder = '/vod/pe/240p/';
    publish(origin, folder);
    await get(server, `${folder}index.m3u8`);
    origin.hold();
    try {
      const first = get(server, `${folder}${segmentName(0)}`);
      await waitFor('segments 1 and 2 asked for before segment 0 is answered', () => origin.count(`${folder}${segmentName(0)}`) === 1 && origin.count(`${folder}${segmentName(1)}`) === 1 && origin.count(`${folder}${segmentName(2)}`) === 1);
      origin.release();
      assert.equal((await first).status, 200);
    } finally {
      origin.release();
    }
  });

  it('runs at most 4 prefetches at once and queues the rest (a behavior asking for 8)', async () => {
    const behaviors = [{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/pf/*', prefetchSegments: 8 }, ...DEFAULT_BEHAVIORS];
    const edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, id: 'prefetch-f' }), { behaviors });
    const server = await listen(edge, { port: 0 });
    edges.push(edge);
    servers.push(server);
    const folder = '/vod/pf/240p/';
    publish(origin, folder, { count: 10 });
    await get(server, `${folder}index.m3u8`);
    const counts = (): number[] => Array.from({ length: 10 }, (_, i) => origin.count(`${folder}${segmentName(i)}`));
    const prefetcher = edge.edge.prefetch;
    assert.ok(prefetcher instanceof Prefetcher);
    origin.hold();
    try {
      const first = get(server, `${folder}${segmentName(0)}`);
      await waitFor('the viewer\'s segment and 4 prefetches at the origin', () => counts().join() === '1,1,1,1,1,0,0,0,0,0' && prefetcher.pending === 8);
      // Every slot is held at the origin, so nothing else can start until one is answered.
      assert.deepEqual(counts(), [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
      origin.release();
      await first;
      await waitFor('the queued ones to follow', () => counts().join() === '1,1,1,1,1,1,1,1,1,0' && prefetcher.pending === 0);
    } finally {
      origin.release();
    }
  });

  it('a rendition switch starts prefetch in the new rendition, and live playlists are followed too', async () => {
    const [, server] = await startEdge('prefetch-b');
    const low = '/live/pb/240p/';
    const high = '/live/pb/480p/';
    publish(origin, low, { kind: 'live', first: 40, ext: 'm4s' });
    publish(origin, high, { kind: 'live', first: 40, ext: 'm4s' });
    await get(server, `${low}index.m3u8`);
    await get(server, `${low}${segmentName(41, 'm4s')}`);
    await waitFor('240p segments 42 and 43 prefetched', () => origin.count(`${low}${segmentName(42, 'm4s')}`) === 1 && origin.count(`${low}${segmentName(43, 'm4s')}`) === 1);
    // The player switches up: it loads the 480p playlist, then a 480p segment.
    await get(server, `${high}index.m3u8`);
    assert.equal((await get(server, `${high}${segmentName(42, 'm4s')}`)).xcache, 'MISS');
    await waitFor('480p segments 43 and 44 prefetched', () => origin.count(`${high}${segmentName(43, 'm4s')}`) === 1 && origin.count(`${high}${segmentName(44, 'm4s')}`) === 1);
    // The last segment of the window: nothing after it to fetch, and what was prefetched is not fetched again.
    await get(server, `${high}${segmentName(45, 'm4s')}`);
    await waitFor('the last segment prefetched', () => origin.count(`${high}${segmentName(44, 'm4s')}`) === 1 && origin.count(`${high}${segmentName(45, 'm4s')}`) === 1);
  });

  it('is collapsed across edges: two edges prefetching the same segments make one origin fetch each', async () => {
    const [a, serverA] = await startEdge('prefetch-c1');
    const [b, serverB] = await startEdge('prefetch-c2');
    const folder = '/vod/pc/240p/';
    publish(origin, folder);
    await Promise.all([get(serverA, `${folder}index.m3u8`), get(serverB, `${folder}index.m3u8`)]);
    await Promise.all([get(serverA, `${folder}${segmentName(0)}`), get(serverB, `${folder}${segmentName(0)}`)]);
    await waitFor('both edges to hold segments 1 and 2', async () => (await metric(a, 'hls_edge_prefetched_total')) === 2 && (await metric(b, 'hls_edge_prefetched_total')) === 2);
    assert.equal(origin.count(`${folder}${segmentName(1)}`), 1);
    assert.equal(origin.count(`${folder}${segmentName(2)}`), 1);
    assert.equal((await get(serverB, `${folder}${segmentName(2)}`)).xcache, 'HIT');
  });

  it('with --memory-mb 0, prefetched segments go to Redis: the next viewer, and another edge, find them there', async () => {
    const [a, serverA] = await startEdge('prefetch-m0a', { memoryMb: 0 });
    const [, serverB] = await startEdge('prefetch-m0b', { memoryMb: 0 });
    assert.equal(a.edge.memory.isEnabled, false);
    const folder = '/vod/pm/240p/';
    publish(origin, folder);
    await get(serverA, `${folder}index.m3u8`);
    assert.equal((await get(serverA, `${folder}${segmentName(0)}`)).xcache, 'MISS');
    await waitFor('segments 1 and 2 prefetched into Redis', async () => (await metric(a, 'hls_edge_prefetched_total')) === 2);
    assert.equal(origin.count(`${folder}${segmentName(1)}`), 1);
    assert.equal(origin.count(`${folder}${segmentName(2)}`), 1);

    const seg1 = await fetch(`${serverA.url}${folder}${segmentName(1)}`);
    await seg1.arrayBuffer();
    assert.equal(seg1.headers.get('x-cache'), 'HIT');
    assert.equal(seg1.headers.get('x-cache-tier'), 'redis', 'no memory tier: the prefetched copy is the one in Redis');
    assert.equal(await metric(a, 'hls_edge_prefetch_hits_total'), 1);
    // Another edge (or worker) on the same Redis finds what this one fetched ahead.
    const seg2 = await fetch(`${serverB.url}${folder}${segmentName(2)}`);
    await seg2.arrayBuffer();
    assert.equal(seg2.headers.get('x-cache'), 'HIT');
    assert.equal(seg2.headers.get('x-cache-tier'), 'redis');
    assert.equal(origin.count(`${folder}${segmentName(1)}`), 1, 'segment 1 reached the origin once, ahead of the viewer');
    assert.equal(origin.count(`${folder}${segmentName(2)}`), 1, 'segment 2 reached the origin once');
    // Segment 1 moved the window on: 3 follows (2 is in Redis already), still with no memory tier.
    await waitFor('segment 3 prefetched', async () => origin.count(`${folder}${segmentName(3)}`) === 1 && (await metric(a, 'hls_edge_prefetched_total')) === 3);
  });

  it('a viewer who asks for a segment still being prefetched is streamed its bytes as they arrive', async () => {
    // An origin that sends segment 1's headers and first half, then holds the rest until told.
    const folder = '/vod/ps/240p/';
    const segments = Array.from({ length: SEGMENTS }, (_, i) => ({ uri: segmentName(i), durationSeconds: 2 }));
    const playlist = writeMediaPlaylist({ kind: 'vod', segments, mediaSequence: 0 });
    const body = Buffer.alloc(64 * 1024, 7);
    let releaseRest: () => void = () => undefined;
    const rest = new Promise<void>((r) => {
      releaseRest = r;
    });
    const asked = new Map<string, number>();
    const slow: RequestListener = (req, res) => {
      const path = req.url ?? '';
      asked.set(path, (asked.get(path) ?? 0) + 1);
      if (path.endsWith('.m3u8')) {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=30' }).end(playlist);
        return;
      }
      res.writeHead(200, { 'content-type': 'video/mp2t', 'cache-control': 'max-age=1209600', 'content-length': String(body.length) });
      if (path !== `${folder}${segmentName(1)}`) {
        res.end(body);
        return;
      }
      res.write(body.subarray(0, body.length / 2));
      void rest.then(() => res.end(body.subarray(body.length / 2)));
    };
    const slowServer = await listen(slow, { port: 0 });
    try {
      const [edge, server] = await startEdge('prefetch-s', { origin: [slowServer.url] });
      await get(server, `${folder}index.m3u8`);
      await get(server, `${folder}${segmentName(0)}`);
      await waitFor('segment 1 being prefetched', () => asked.get(`${folder}${segmentName(1)}`) === 1);
      // Headers and the first half arrive while the origin still holds the rest: the viewer follows the prefetch.
      const res = await fetch(`${server.url}${folder}${segmentName(1)}`);
      assert.equal(res.status, 200);
      const reader = res.body?.getReader();
      assert.ok(reader);
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0, 'bytes before the prefetch is complete');
      releaseRest();
      let got = first.value.length;
      for (let r = await reader.read(); !r.done; r = await reader.read()) got += r.value.length;
      assert.equal(got, body.length);
      assert.equal(asked.get(`${folder}${segmentName(1)}`), 1, 'one origin fetch: the prefetch, shared with the viewer');
      assert.equal(await metric(edge, 'hls_edge_prefetch_hits_total'), 1, 'the viewer it streamed to counts as a prefetch hit');
    } finally {
      releaseRest();
      await slowServer.close();
    }
  });

  it('with --prefetch-segments 0, segment 1 is a MISS when the viewer asks for it', async () => {
    const [edge, server] = await startEdge('prefetch-off', { prefetchSegments: 0 });
    const folder = '/vod/pd/240p/';
    publish(origin, folder);
    await get(server, `${folder}index.m3u8`);
    await get(server, `${folder}${segmentName(0)}`);
    assert.equal(edge.edge.prefetch, undefined, 'no prefetcher runs');
    const seg1 = `${folder}${segmentName(1)}`;
    assert.equal(origin.count(seg1), 0);
    const r = await get(server, seg1);
    assert.equal(r.xcache, 'MISS');
    assert.equal(origin.count(seg1), 1, 'the viewer\'s own request was the first to reach the origin');
    assert.equal(await metric(edge, 'hls_edge_prefetched_total'), 0);
  });
});
