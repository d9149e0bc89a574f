// The router drops an edge that stops answering within --down-after, brings it back when it answers again, and acts on failure reports.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startFakeEdge, type FakeEdge } from '../helpers/fake-edge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const INTERVAL_MS = 200;
const DOWN_AFTER_MS = 600;
/** Silence is noticed within down-after plus one check cycle; the rest is slack for a busy CI machine. */
const NOTICE_MS = DOWN_AFTER_MS + 2 * INTERVAL_MS + 1_500;

interface RoutingEdge {
  url: string;
  status: string;
  healthy: boolean;
  lastError: string | null;
}

describe('router health checking', () => {
  let a: FakeEdge;
  let b: FakeEdge;
  let router: RouterApp;
  let server: Listening;

  const routing = async (asset: string): Promise<{ decision: { result: string; edge: { url: string } | null }; edges: RoutingEdge[] }> => {
    const res = await fetch(`${server.url}/routing?asset=${asset}`);
    assert.equal(res.status, 200);
    return (await res.json()) as { decision: { result: string; edge: { url: string } | null }; edges: RoutingEdge[] };
  };
  const statusOf = async (edge: FakeEdge): Promise<string | undefined> => (await routing('x')).edges.find((e) => e.url === edge.url)?.status;
  /** An asset whose primary edge (with both up) is `edge`. */
  const assetOn = async (edge: FakeEdge): Promise<string> => {
    for (let i = 0; i < 100; i++) if ((await routing(`asset-${i}`)).decision.edge?.url === edge.url) return `asset-${i}`;
    throw new Error(`no asset maps to ${edge.url}`);
  };

  before(async () => {
    [a, b] = await Promise.all([startFakeEdge(), startFakeEdge()]);
    const config = defaultsOf(routerFields, {
      edges: [
        { url: a.url, region: 'eu' },
        { url: b.url, region: 'eu' },
      ],
      healthIntervalMs: INTERVAL_MS,
      healthTimeoutMs: 150,
      downAfterMs: DOWN_AFTER_MS,
    });
    router = createRouterApp(config, { processMetrics: false });
    server = await listen(router.app, { port: 0 });
    await router.ready;
  });

  after(async () => {
    await server.close();
    await router.close();
    await Promise.all([a.close(), b.close()]);
  });

  test('both edges are up after the first round of checks', async () => {
    assert.equal(await statusOf(a), 'up');
    assert.equal(await statusOf(b), 'up');
  });

  test('an edge that stops answering is dropped within the down-after window and returns when it answers', async () => {
    const asset = await assetOn(a);
    a.mode = 'hang';
    const hungAt = Date.now();
    await waitFor('edge a to be dropped', async () => (await statusOf(a)) === 'down', { timeoutMs: NOTICE_MS });
    // Silence is tolerated for down-after: the edge must not be dropped by the first missed check.
    assert.ok(Date.now() - hungAt >= DOWN_AFTER_MS - INTERVAL_MS, 'dropped before the down-after window');
    const during = await routing(asset);
    assert.equal(during.decision.edge?.url, b.url, 'its assets go to the other edge');
    assert.equal(during.decision.result, 'failover');
    assert.match(during.edges.find((e) => e.url === a.url)?.lastError ?? '', /timeout/);

    a.mode = 'ok';
    await waitFor('edge a to come back', async () => (await statusOf(a)) === 'up', { timeoutMs: NOTICE_MS });
    assert.equal((await routing(asset)).decision.edge?.url, a.url, 'and its assets return to it');
  });

  test('an edge answering 503 on /healthz is dropped at the next check', async () => {
    b.mode = 'unhealthy';
    await waitFor('edge b to be dropped', async () => (await statusOf(b)) === 'down', { timeoutMs: 4 * INTERVAL_MS + 1_500 });
    b.mode = 'ok';
    await waitFor('edge b to come back', async () => (await statusOf(b)) === 'up', { timeoutMs: NOTICE_MS });
  });

  test('a failure report confirmed by a check takes the edge out at once; a refuted one does not', async () => {
    const refuted = await fetch(`${server.url}/_router/report-failure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${b.url}/vod/x/master.m3u8` }) });
    assert.equal(refuted.status, 200);
    assert.equal(((await refuted.json()) as { outcome: string }).outcome, 'refuted');
    assert.equal(await statusOf(b), 'up');

    b.mode = 'hang';
    const confirmed = await fetch(`${server.url}/_router/report-failure`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ url: `${b.url}/vod/x/1080p/seg-3.ts` }) });
    assert.equal(((await confirmed.json()) as { outcome: string }).outcome, 'confirmed');
    assert.equal(await statusOf(b), 'down', 'down right after the confirming check, not after down-after');
    b.mode = 'ok';
    await waitFor('edge b to come back', async () => (await statusOf(b)) === 'up', { timeoutMs: NOTICE_MS });

    const unknown = await fetch(`${server.url}/_router/report-failure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:1/vod/x/master.m3u8' }) });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: string }).error, 'ROUTER_UNKNOWN_EDGE');
    const bad = await fetch(`${server.url}/_router/report-failure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nope":1}' });
    assert.equal(bad.status, 400);
  });

  test('a stopped edge (connection refused) is dropped, and /metrics counts checks and transitions', async () => {
    await a.close();
    await waitFor('closed edge a to be dropped', async () => (await statusOf(a)) === 'down', { timeoutMs: 4 * INTERVAL_MS + 1_500 });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /hls_router_edges_healthy\{region="eu"[^}]*\} 1/);
    assert.match(metrics, /hls_router_edges_known\{region="eu"[^}]*\} 2/);
    assert.match(metrics, /hls_router_health_check_failures_total\{reason="refused"[^}]*\} [1-9]/);
    assert.match(metrics, /hls_router_health_check_failures_total\{reason="timeout"[^}]*\} [1-9]/);
    assert.match(metrics, /hls_router_edge_transitions_total\{to="down"[^}]*\} [1-9]/);
    assert.match(metrics, /hls_router_failure_reports_total\{outcome="confirmed"[^}]*\} 1/);
  });
});
