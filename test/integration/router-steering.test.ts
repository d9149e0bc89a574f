// Content steering over real HTTP: the router serves master playlists with a pathway per real edge and a steering manifest that follows edge health.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { readMasterPlaylist } from '../../server/core/hls/read-playlist.ts';
import { pathwayIdOf } from '../../server/router/steering.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { waitFor } from '../helpers/wait-for.ts';

const MASTER = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=320x240,CODECS="avc1.64000d,mp4a.40.2"\n240p/index.m3u8\n';
const MEDIA = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.0,\nseg_0.ts\n#EXT-X-ENDLIST\n';

interface RunningEdge {
  /** Its pathway id. */
  readonly id: string;
  readonly port: number;
  readonly url: string;
  app: EdgeApp;
  server: Listening;
}

interface Steering {
  VERSION: number;
  TTL: number;
  'RELOAD-URI': string;
  'PATHWAY-PRIORITY': string[];
}

/** Configured edges without a registry are named by host:port; their pathway id is that, sanitized. */
async function startEdge(originUrl: string, port = 0): Promise<RunningEdge> {
  const app = await createEdgeApp(testEdgeConfig({ origin: [originUrl], redis: 'none', region: 'eu', player: false }));
  const server = await listen(app, { port });
  return { id: pathwayIdOf(new URL(server.url).host), port: server.port, url: server.url, app, server };
}

/** Gone at once, as a killed process: every socket cut, nothing drained. */
async function killEdge(e: RunningEdge): Promise<void> {
  e.server.server.closeAllConnections();
  const closed = e.server.close();
  e.server.server.closeAllConnections();
  await closed;
  await e.app.close();
}

describe('router content steering', () => {
  let origin: CountingOrigin;
  const edges = new Map<string, RunningEdge>();
  let router: RouterApp;
  let server: Listening;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set('/vod/clip/master.m3u8', { body: MASTER, headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=30' } });
    origin.set('/vod/clip/240p/index.m3u8', { body: MEDIA, headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=30' } });
    for (let i = 0; i < 2; i++) {
      const e = await startEdge(origin.url);
      edges.set(e.id, e);
    }
    const config = defaultsOf(routerFields, {
      edges: [...edges.values()].map((e) => ({ url: e.url, region: 'eu' })),
      healthIntervalMs: 200,
      healthTimeoutMs: 150,
      downAfterMs: 600,
      steeringTtlMs: 1_000,
    });
    router = createRouterApp(config, { processMetrics: false, player: false });
    server = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    await server.close();
    await router.close();
    await Promise.all([...edges.values()].map((e) => killEdge(e)));
    await origin.stop();
  });

  const master = async (query = ''): Promise<{ res: Response; text: string; pathways: Array<{ id: string; uri: string }>; steeringUri: string; preferred: string }> => {
    const res = await fetch(`${server.url}/vod/clip/master.m3u8${query}`, { redirect: 'manual', headers: { 'X-Viewer-Region': 'eu' } });
    const text = await res.text();
    if (res.status !== 200) return { res, text, pathways: [], steeringUri: '', preferred: '' };
    const read = readMasterPlaylist(text);
    const pathways = read.variants.map((v) => ({ id: v.pathwayId ?? '', uri: v.uri }));
    return { res, text, pathways, steeringUri: read.contentSteering?.serverUri ?? '', preferred: read.contentSteering?.pathwayId ?? '' };
  };

  const steering = async (uri: string, current?: string): Promise<Steering> => {
    const url = new URL(uri, `${server.url}/vod/clip/master.m3u8`);
    if (current) url.searchParams.set('_HLS_pathway', current);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return (await res.json()) as Steering;
  };

  const metric = async (result: string): Promise<number> => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m = new RegExp(`^hls_router_steering_manifests_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`, 'm').exec(text);
    return Number(m?.[1] ?? 0);
  };

  test('serves the master playlist itself: one pathway per edge, absolute edge URLs, the viewer’s signature carried, CMCD dropped', async () => {
    const { res, pathways, steeringUri, preferred } = await master('?Expires=1767225600&Signature=Ab~c%2B&Key-Pair-Id=K1&CMCD=sid%3D%22x%22&region=eu');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/vnd\.apple\.mpegurl/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const answered = pathwayIdOf(res.headers.get('x-edgeline-edge') ?? '');
    assert.ok(edges.has(answered), `X-Edgeline-Edge names a real edge, got ${answered}`);
    assert.deepEqual(pathways.map((p) => p.id).sort(), [...edges.keys()].sort());
    assert.equal(preferred, answered, 'the edge that answered is the preferred pathway');
    assert.equal(pathways[0]?.id, preferred);
    for (const p of pathways) {
      assert.equal(p.uri, `${edges.get(p.id)?.url}/vod/clip/240p/index.m3u8?Expires=1767225600&Signature=Ab~c%2B&Key-Pair-Id=K1`);
      // Media playlists go straight to the edge.
      const media = await fetch(p.uri);
      assert.equal(media.status, 200);
      assert.equal(await media.text(), MEDIA);
    }
    assert.equal(steeringUri, '/steering/vod/clip?region=eu');
    assert.equal(res.headers.get('x-edgeline-pathways'), pathways.map((p) => p.id).join(','));
    // The edge cached the master once: later masters are served from it.
    await master();
    assert.equal(origin.count('/vod/clip/master.m3u8'), 1);
  });

  test('the steering manifest ranks the preferred edge first with a short TTL and a RELOAD-URI', async () => {
    const { steeringUri, preferred } = await master();
    const before = await metric('stay');
    const s = await steering(steeringUri, preferred);
    assert.equal(s.VERSION, 1);
    assert.equal(s.TTL, 1);
    assert.equal(s['RELOAD-URI'], '/steering/vod/clip');
    assert.deepEqual([...s['PATHWAY-PRIORITY']].sort(), [...edges.keys()].sort());
    assert.equal(s['PATHWAY-PRIORITY'][0], preferred);
    assert.equal(await metric('stay'), before + 1);
  });

  test('an unknown asset gets the edge’s own 404', async () => {
    const res = await fetch(`${server.url}/vod/nope/master.m3u8`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    await res.body?.cancel();
  });

  test('when the preferred edge dies, steering moves players to the other, and back once it returns', async () => {
    const { steeringUri, preferred } = await master();
    const dead = edges.get(preferred);
    assert.ok(dead);
    const other = [...edges.keys()].find((id) => id !== preferred) ?? '';
    await killEdge(dead);
    const moved = await waitFor('the steering manifest to prefer the other edge', async () => {
      const s = await steering(steeringUri);
      return s['PATHWAY-PRIORITY'][0] === other ? s : undefined;
    });
    assert.deepEqual(moved['PATHWAY-PRIORITY'], [other, preferred], 'the dead edge stays listed, last');
    const movesBefore = await metric('move');
    await steering(steeringUri, preferred);
    assert.equal(await metric('move'), movesBefore + 1, 'a player still on the dead pathway is told to move');

    const after = await master();
    assert.equal(after.res.status, 200);
    assert.equal(after.preferred, other);
    assert.equal(pathwayIdOf(after.res.headers.get('x-edgeline-edge') ?? ''), other);
    const routing = (await (await fetch(`${server.url}/routing?asset=clip&region=eu`)).json()) as { edges: Array<{ id: string; status: string }>; steering: { pathways: Array<{ id: string; healthy: boolean }> } };
    assert.equal(routing.edges.find((e) => pathwayIdOf(e.id) === preferred)?.status, 'down');
    assert.deepEqual(routing.steering.pathways.map((p) => [p.id, p.healthy]), [[other, true], [preferred, false]]);

    const back = await startEdge(origin.url, dead.port);
    edges.set(dead.id, back);
    await waitFor('the steering manifest to prefer the returned edge', async () => (await steering(steeringUri))['PATHWAY-PRIORITY'][0] === preferred);
  });

  test('with every edge down the master playlist is a 503 the player retries', async () => {
    for (const e of edges.values()) await killEdge(e);
    await waitFor('both edges down', async () => {
      const res = await fetch(`${server.url}/vod/clip/master.m3u8`);
      await res.body?.cancel();
      return res.status === 503 ? res : undefined;
    });
    const res = await fetch(`${server.url}/vod/clip/master.m3u8`);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(((await res.json()) as { error: string }).error, 'ROUTER_NO_HEALTHY_EDGE');
    for (const [id, e] of edges) edges.set(id, await startEdge(origin.url, e.port));
  });
});
