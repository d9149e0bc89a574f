// Redirects to edges over real HTTP: query strings untouched, no-store, regions, 503 JSON when nothing is healthy, /routing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startFakeEdge, type FakeEdge } from '../helpers/fake-edge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const get = (url: string, init: RequestInit = {}): Promise<Response> => fetch(url, { redirect: 'manual', ...init });

interface Routing {
  asset: string;
  region: { name: string | null; source: string };
  decision: { result: string; edge: { id: string; url: string; region: string } | null; location: string | null; reason: string; ring: string; ringPosition: number; spill: boolean; crossRegion: boolean };
  candidates: Array<{ id: string; url: string; region: string; status: string; load: number | null; isOverloaded: boolean; verdict: string | null }>;
  edges: Array<{ id: string; url: string; region: string; status: string; healthy: boolean; sources: string[]; load: number | null }>;
  settings: { downAfterMs: number };
}

describe('router routes', () => {
  let eu1: FakeEdge;
  let eu2: FakeEdge;
  let us1: FakeEdge;
  let router: RouterApp;
  let server: Listening;
  const routing = async (query: string, headers: Record<string, string> = {}): Promise<Routing> => {
    const res = await get(`${server.url}/routing?${query}`, { headers });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return (await res.json()) as Routing;
  };

  before(async () => {
    [eu1, eu2, us1] = await Promise.all([startFakeEdge(), startFakeEdge(), startFakeEdge()]);
    const config = defaultsOf(routerFields, {
      edges: [
        { url: eu1.url, region: 'eu' },
        { url: eu2.url, region: 'eu' },
        { url: us1.url, region: 'us' },
      ],
      cidrMap: [{ cidr: '127.0.0.0/8', region: 'us' }],
      healthIntervalMs: 200,
      healthTimeoutMs: 150,
      downAfterMs: 600,
      overloadThreshold: 50,
      // The 302 contract for every path; master playlists with content steering are tested in router-steering.test.ts.
      steering: false,
    });
    router = createRouterApp(config, { processMetrics: false });
    server = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    await server.close();
    await router.close();
    await Promise.all([eu1.close(), eu2.close(), us1.close()]);
  });

  test('redirects a master playlist with 302 to an edge, the query string untouched, never cached', async () => {
    const pathAndQuery = '/vod/sample/master.m3u8?Expires=1767225600&Signature=Ab~c-d_e%2Bf%3D&Key-Pair-Id=K2JCJMDEHXQW5F&x=%2F%20&y=a+b&empty=&dup=1&dup=2';
    const res = await get(`${server.url}${pathAndQuery}`, { headers: { 'X-Viewer-Region': 'eu' } });
    assert.equal(res.status, 302);
    const location = res.headers.get('location') ?? '';
    const edge = [eu1, eu2].find((e) => location.startsWith(`${e.url}/`));
    assert.ok(edge, `redirected to an eu edge, got ${location}`);
    assert.equal(location, `${edge.url}${pathAndQuery}`, 'path and query string byte for byte');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('x-edgeline-route'), 'primary');
    await res.body?.cancel();

    // Following the redirect reaches the edge with the same query string.
    const followed = await fetch(`${server.url}${pathAndQuery}`, { headers: { 'X-Viewer-Region': 'eu' } });
    assert.equal(await followed.text(), 'edge body');
    assert.ok(edge.requests.includes(pathAndQuery));
  });

  test('every rendition and segment of an asset, and HEAD requests, go to the same edge', async () => {
    const paths = ['/vod/sample/master.m3u8', '/vod/sample/720p/index.m3u8', '/vod/sample/720p/seg-00001.m4s', '/vod/sample/360p/init.mp4'];
    const locations = new Set<string>();
    for (const path of paths) {
      for (const method of ['GET', 'HEAD']) {
        const res = await get(`${server.url}${path}?region=eu`, { method });
        assert.equal(res.status, 302);
        locations.add(new URL(res.headers.get('location') ?? '').origin);
      }
    }
    assert.equal(locations.size, 1);
    const live = await get(`${server.url}/live/live/index.m3u8`, { headers: { 'X-Viewer-Region': 'us' } });
    assert.equal(live.headers.get('location'), `${us1.url}/live/live/index.m3u8`);
  });

  test('the viewer region comes from the header, the query, then the CIDR map of the client address', async () => {
    const byHeader = await routing('asset=sample&region=us', { 'X-Viewer-Region': 'EU' });
    assert.deepEqual(byHeader.region, { name: 'eu', source: 'header' });
    assert.equal(byHeader.decision.edge?.region, 'eu');
    const byQuery = await routing('asset=sample&region=eu');
    assert.deepEqual(byQuery.region, { name: 'eu', source: 'query' });
    const byAddress = await routing('asset=sample');
    assert.deepEqual(byAddress.region, { name: 'us', source: 'cidr' });
    assert.equal(byAddress.decision.edge?.url, us1.url);
  });

  test('/routing explains the decision: ring, candidates with health and load, spill-over and fallback', async () => {
    const r = await routing('asset=sample&region=eu');
    assert.equal(r.asset, 'sample');
    assert.equal(r.decision.result, 'primary');
    assert.equal(r.decision.ring, 'eu');
    assert.ok(Number.isInteger(r.decision.ringPosition));
    assert.equal(r.decision.spill, false);
    assert.equal(r.decision.crossRegion, false);
    assert.equal(r.decision.location, `${r.decision.edge?.url}/vod/sample/master.m3u8`);
    assert.deepEqual(r.candidates.map((c) => c.verdict), ['chosen', null]);
    assert.deepEqual(r.edges.map((e) => [e.region, e.status, e.sources.join()]), [['eu', 'up', 'config'], ['eu', 'up', 'config'], ['us', 'up', 'config']]);
    assert.equal(r.settings.downAfterMs, 600);

    // Overload the asset's edge (load from its /healthz body): the asset spills to the other eu edge.
    const primary = [eu1, eu2].find((e) => e.url === r.decision.edge?.url);
    assert.ok(primary);
    primary.load = 80;
    try {
      const spilled = await waitFor('spill-over', async () => {
        const s = await routing('asset=sample&region=eu');
        return s.decision.result === 'spill' ? s : undefined;
      });
      assert.equal(spilled.decision.spill, true);
      assert.notEqual(spilled.decision.edge?.url, primary.url);
      assert.equal(spilled.decision.edge?.region, 'eu');
      assert.deepEqual(spilled.candidates.map((c) => [c.verdict, c.isOverloaded, c.load]), [['overloaded', true, 80], ['chosen', false, null]]);
    } finally {
      primary.load = undefined;
    }
    await waitFor('load to drop', async () => (await routing('asset=sample&region=eu')).decision.result === 'primary');
  });

  test('falls back to another region when none is healthy in the viewer’s, then answers 503 JSON when no edge is healthy', async () => {
    us1.mode = 'unhealthy';
    try {
      const fallback = await waitFor('cross-region fallback', async () => {
        const r = await routing('asset=sample&region=us');
        return r.decision.crossRegion ? r : undefined;
      });
      assert.equal(fallback.decision.result, 'cross_region');
      assert.equal(fallback.decision.edge?.region, 'eu');
      assert.match(fallback.decision.reason, /no healthy edge in region "us"/);

      eu1.mode = 'unhealthy';
      eu2.mode = 'unhealthy';
      await waitFor('every edge down', async () => (await routing('asset=sample')).decision.result === 'unavailable');
      const res = await get(`${server.url}/vod/sample/master.m3u8?sig=1`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await res.json(), { error: 'ROUTER_NO_HEALTHY_EDGE', message: 'no healthy edge for vod "sample" in any region' });
    } finally {
      for (const e of [eu1, eu2, us1]) e.mode = 'ok';
    }
    await waitFor('edges back', async () => (await routing('asset=sample')).edges.every((e) => e.healthy));
  });

  test('rejects bad input with 400 JSON and counts decisions in /metrics', async () => {
    const noAsset = await get(`${server.url}/routing`);
    assert.equal(noAsset.status, 400);
    assert.equal(((await noAsset.json()) as { error: string }).error, 'ROUTER_BAD_ASSET');
    const badEncoding = await get(`${server.url}/vod/%E0%A4%A/master.m3u8`);
    assert.equal(badEncoding.status, 400);
    await badEncoding.body?.cancel();
    const other = await get(`${server.url}/nothing-here`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const metrics = await (await get(`${server.url}/metrics`)).text();
    assert.match(metrics, /hls_router_routing_decisions_total\{result="primary"[^}]*\} [1-9]/);
    assert.match(metrics, /hls_router_routing_decisions_total\{result="unavailable"[^}]*\} 1/);
    const health = (await (await get(`${server.url}/healthz`)).json()) as { ok: boolean; edgesKnown: number; registry: string };
    assert.deepEqual([health.ok, health.edgesKnown, health.registry], [true, 3, 'off']);
  });
});
