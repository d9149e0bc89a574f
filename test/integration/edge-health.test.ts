// Health that says what it knows: a frozen (SIGSTOP) or slow origin degrades an edge's /healthz but never drains it from the router.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startWanProxy, type WanProxy } from '../../tools/wan/wan-proxy.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** A minimal origin in its own process (so SIGSTOP freezes it, sockets and all): one VOD master playlist, cacheable for a minute. */
const ORIGIN_JS = `
const http = require('node:http');
const master = '#EXTM3U\\n#EXT-X-VERSION:3\\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\\n360p/index.m3u8\\n';
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  if (req.url === '/vod/frozen/master.m3u8') return res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=60' }).end(master);
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function spawnOrigin(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', ORIGIN_JS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, url: `http://127.0.0.1:${line.toString().trim()}` };
}

interface RoutingEdge {
  id: string;
  status: string;
  healthy: boolean;
  originReachable: boolean | null;
}

async function routingEdges(router: Listening): Promise<RoutingEdge[]> {
  const res = await fetch(`${router.url}/routing?asset=frozen`);
  return ((await res.json()) as { edges: RoutingEdge[] }).edges;
}

async function edgeHealth(edge: Listening): Promise<{ status: number; body: { status: string; origin: { reachable: boolean | null } } }> {
  const res = await fetch(`${edge.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string; origin: { reachable: boolean | null } } };
}

describe('edge health with a frozen origin', () => {
  let origin: { child: ChildProcess; url: string };
  const edges: EdgeApp[] = [];
  const servers: Listening[] = [];
  let router: RouterApp;
  let routerServer: Listening;

  before(async () => {
    origin = await spawnOrigin();
    for (const id of ['edge-a', 'edge-b']) {
      const edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', id }));
      edges.push(edge);
      servers.push(await listen(edge, { port: 0 }));
    }
    // The shipped health timeout (800 ms); checks every 250 ms, and a silent edge is down after 1.5 s.
    router = createRouterApp(defaultsOf(routerFields, { edges: servers.map((s) => ({ url: s.url, region: undefined })), healthIntervalMs: 250, downAfterMs: 1_500 }), { processMetrics: false, player: false });
    routerServer = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    origin.child.kill('SIGCONT');
    origin.child.kill('SIGKILL');
    await routerServer.close();
    await router.close();
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(edges.map((e) => e.close()));
  });

  it('keeps routing to the edges, which serve the cached master playlist, while the origin is SIGSTOPped', async () => {
    // Warm the master playlist on both edges, as viewers through the router would over time.
    for (const s of servers) assert.equal((await fetch(`${s.url}/vod/frozen/master.m3u8`)).status, 200);
    assert.equal((await fetch(`${routerServer.url}/vod/frozen/master.m3u8`)).status, 200);

    origin.child.kill('SIGSTOP');
    try {
      // Each edge notices in the background and says so, degraded but up; the router's own checks (which must have
      // succeeded after the freeze to carry the news) keep both edges healthy.
      await waitFor(
        'the router to learn that both edges cannot reach the origin',
        async () => {
          const seen = await routingEdges(routerServer);
          return seen.length === 2 && seen.every((e) => e.originReachable === false) ? seen : undefined;
        },
        { timeoutMs: 15_000 },
      );
      for (const s of servers) {
        const h = await edgeHealth(s);
        assert.equal(h.status, 200);
        assert.equal(h.body.status, 'degraded');
        assert.equal(h.body.origin.reachable, false);
      }
      const seen = await routingEdges(routerServer);
      assert.ok(seen.every((e) => e.healthy && e.status === 'up'), 'no edge drained because of its origin');
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${routerServer.url}/vod/frozen/master.m3u8`);
        assert.equal(res.status, 200, 'the router answers the cached asset\'s master playlist');
        assert.match(await res.text(), /EXT-X-CONTENT-STEERING/);
      }
    } finally {
      origin.child.kill('SIGCONT');
    }
    await waitFor('the edges to see the origin again', async () => (await routingEdges(routerServer)).every((e) => e.originReachable === true), { timeoutMs: 15_000 });
  });
});

describe('edge health with a slow origin', () => {
  let origin: { child: ChildProcess; url: string };
  let wan: WanProxy;
  let edge: EdgeApp;
  let edgeServer: Listening;
  let router: RouterApp;
  let routerServer: Listening;

  before(async () => {
    origin = await spawnOrigin();
    wan = await startWanProxy({ target: origin.url, port: 0, wan: { wanRttMs: 1_000 } });
    edge = await createEdgeApp(testEdgeConfig({ origin: [wan.url], redis: 'none', id: 'edge-slow' }));
    edgeServer = await listen(edge, { port: 0 });
    router = createRouterApp(defaultsOf(routerFields, { edges: [{ url: edgeServer.url, region: undefined }], healthIntervalMs: 250, downAfterMs: 1_500 }), { processMetrics: false, player: false });
    routerServer = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    await routerServer.close();
    await router.close();
    await edgeServer.close();
    await edge.close();
    await wan.close();
    origin.child.kill('SIGKILL');
  });

  it('an origin 1 s away does not make the edge down: its /healthz answers at once and reports the origin reachable', async () => {
    const seen = await waitFor(
      'the router to hear that the edge reaches its origin through the 1 s proxy',
      async () => {
        const edges = await routingEdges(routerServer);
        return edges[0]?.originReachable === true ? edges : undefined;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.status, 'up');
    const h = await edgeHealth(edgeServer);
    assert.equal(h.status, 200);
    assert.equal(h.body.origin.reachable, true);
    const res = await fetch(`${routerServer.url}/vod/frozen/master.m3u8`);
    assert.equal(res.status, 200);
  });
});
