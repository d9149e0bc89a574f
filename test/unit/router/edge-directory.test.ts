// Edge health from checks and reports, and membership from configuration and the registry, on an injected clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { EdgeRecord } from '../../../server/core/edge-registry.ts';
import { rootLogger } from '../../../server/core/log.ts';
import { createRouterMetrics } from '../../../server/router/router-metrics.ts';
import { EdgeDirectory, edgeKey } from '../../../server/router/edge-directory.ts';
import type { HealthResult } from '../../../server/router/health-probe.ts';

const A = 'http://127.0.0.1:9001';
const B = 'http://127.0.0.1:9002';

function setup(opts: { registry?: () => EdgeRecord[] | Error } = {}) {
  let now = 1_000_000;
  const answers = new Map<string, HealthResult>([
    [A, { ok: true }],
    [B, { ok: true }],
  ]);
  const probed: string[] = [];
  const dir = new EdgeDirectory({
    seeds: [
      { url: A, region: 'eu' },
      { url: B, region: undefined },
    ],
    healthIntervalMs: 1_000,
    healthTimeoutMs: 500,
    downAfterMs: 3_000,
    probe: async (url) => {
      probed.push(url);
      return answers.get(url) ?? { ok: true };
    },
    ...(opts.registry
      ? {
          readRegistry: async () => {
            const r = opts.registry?.();
            if (r instanceof Error) throw r;
            return { edges: r ?? [], invalid: 0 };
          },
        }
      : {}),
    metrics: createRouterMetrics(new Registry(), () => []),
    logger: rootLogger,
    now: () => now,
  });
  const status = (url: string) => dir.snapshot().find((e) => e.key === edgeKey(url))?.status;
  return { dir, answers, probed, status, advance: (ms: number) => (now += ms), now: () => now };
}

describe('EdgeDirectory', () => {
  test('edges are unknown until checked, then up', async () => {
    const s = setup();
    assert.equal(s.status(A), 'unknown');
    await s.dir.runRound();
    assert.equal(s.status(A), 'up');
    assert.deepEqual(s.probed.sort(), [A, B]);
  });

  test('a silent edge (timeouts) is dropped once downAfter passes without a good check, and comes back on the next one', async () => {
    const s = setup();
    await s.dir.runRound();
    s.answers.set(A, { ok: false, failure: 'timeout' });
    for (let t = 1_000; t <= 3_000; t += 1_000) {
      s.advance(1_000);
      await s.dir.runRound();
      assert.equal(s.status(A), 'up', `still up ${t} ms after the last good check`);
    }
    s.advance(1);
    assert.equal(s.status(A), 'down', 'down as soon as downAfter has passed, even between checks');
    assert.equal(s.status(B), 'up', 'B answered every check');
    s.answers.set(A, { ok: true });
    s.advance(1_000);
    await s.dir.runRound();
    assert.equal(s.status(A), 'up');
  });

  test('an explicit "no" (non-2xx /healthz or refused connection) drops the edge at once', async () => {
    const s = setup();
    await s.dir.runRound();
    s.answers.set(A, { ok: false, failure: 'status', status: 503 });
    s.answers.set(B, { ok: false, failure: 'refused' });
    s.advance(1_000);
    await s.dir.runRound();
    assert.equal(s.status(A), 'down');
    assert.equal(s.status(B), 'down');
    assert.match(s.dir.snapshot().find((e) => e.url === A)?.lastError ?? '', /^status/);
  });

  test('a failure report takes an edge out only when a check confirms it', async () => {
    const s = setup();
    await s.dir.runRound();
    s.advance(1_000);
    const refuted = await s.dir.reportFailure(`${A}/vod/x/master.m3u8?sig=1`);
    assert.equal(refuted?.outcome, 'refuted');
    assert.equal(s.status(A), 'up');
    s.answers.set(A, { ok: false, failure: 'timeout' });
    s.advance(1_000);
    const confirmed = await s.dir.reportFailure(`${A}/vod/x/master.m3u8`);
    assert.equal(confirmed?.outcome, 'confirmed');
    assert.equal(confirmed?.edge.id, '127.0.0.1:9001');
    assert.equal(s.status(A), 'down', 'a timeout confirming a report counts at once');
    assert.equal(await s.dir.reportFailure('http://127.0.0.1:9999/vod/x/master.m3u8'), undefined);
  });

  test('concurrent reports share one check', async () => {
    const s = setup();
    await s.dir.runRound();
    s.probed.length = 0;
    s.advance(1_000);
    await Promise.all([s.dir.reportFailure(A), s.dir.reportFailure(A), s.dir.reportFailure(`${A}/live/x/index.m3u8`)]);
    assert.deepEqual(s.probed, [A]);
  });

  test('heartbeats add edges with their region and load; expiry forgets them; configured edges stay', async () => {
    let records: EdgeRecord[] | Error = [];
    const s = setup({ registry: () => records });
    await s.dir.runRound();
    const v0 = s.dir.version;
    const C = 'http://127.0.0.1:9003';
    records = [
      { id: 'edge-c', url: C, region: 'us', load: 7, startedAt: 1, ts: 2 },
      { id: 'edge-b', url: B, region: 'ap', load: 3, startedAt: 1, ts: 2 },
      { id: 'edge-a', url: A, region: 'us', load: 1, startedAt: 1, ts: 2 },
    ];
    await s.dir.runRound();
    const byUrl = new Map(s.dir.snapshot().map((e) => [e.url, e]));
    assert.deepEqual(byUrl.get(C) && { id: byUrl.get(C)?.id, region: byUrl.get(C)?.region, load: byUrl.get(C)?.load, status: byUrl.get(C)?.status, sources: byUrl.get(C)?.sources }, { id: 'edge-c', region: 'us', load: 7, status: 'up', sources: ['registry'] });
    assert.equal(byUrl.get(B)?.region, 'ap', 'a configured edge without #region takes the heartbeat’s');
    assert.equal(byUrl.get(A)?.region, 'eu', 'a region given in configuration wins');
    assert.deepEqual(byUrl.get(A)?.sources, ['config', 'registry']);
    assert.ok(s.dir.version > v0);

    records = new Error('redis down');
    await s.dir.runRound();
    assert.equal(s.dir.snapshot().length, 3, 'a failed read keeps the last known edges');

    records = [];
    await s.dir.runRound();
    const urls = s.dir.snapshot().map((e) => e.url).sort();
    assert.deepEqual(urls, [A, B], 'the expired registry-only edge is forgotten');
    assert.equal(s.dir.snapshot().find((e) => e.url === B)?.region, 'default');
  });

  test('a configured edge keeps its heartbeat name once the heartbeat expires (steering pathway ids stay stable)', async () => {
    let records: EdgeRecord[] = [{ id: 'edge-a', url: A, region: 'eu', load: 0, startedAt: 1, ts: 2 }];
    const s = setup({ registry: () => records });
    await s.dir.runRound();
    assert.equal(s.dir.snapshot().find((e) => e.url === A)?.id, 'edge-a');
    records = [];
    await s.dir.runRound();
    assert.equal(s.dir.snapshot().find((e) => e.url === A)?.id, 'edge-a');
    assert.equal(s.dir.snapshot().find((e) => e.url === B)?.id, '127.0.0.1:9002', 'never named: host and port');
  });

  test('an edge announcing an internal URL is checked there and still routed to at its public URL', async () => {
    const PUBLIC = 'http://localhost:8081';
    const INTERNAL = 'http://edge-eu:8081';
    const s = setup({ registry: () => [{ id: 'edge-eu', url: PUBLIC, internalUrl: INTERNAL, region: 'eu', load: 0, startedAt: 1, ts: 2 }] });
    await s.dir.runRound();
    const e = s.dir.snapshot().find((v) => v.id === 'edge-eu');
    assert.equal(e?.url, PUBLIC);
    assert.equal(e?.probeUrl, INTERNAL);
    assert.equal(e?.status, 'up');
    assert.ok(s.probed.includes(INTERNAL) && !s.probed.includes(PUBLIC));
  });

  test('a load figure in the /healthz body counts when newer than the heartbeat', async () => {
    const s = setup();
    s.answers.set(A, { ok: true, load: 42 });
    await s.dir.runRound();
    assert.equal(s.dir.snapshot().find((e) => e.url === A)?.load, 42);
    assert.equal(s.dir.snapshot().find((e) => e.url === B)?.load, undefined);
  });
});
