// The load test's origin count across an origin restart: an origin whose request counter goes 100 → 150, then (after
// a "restart") 10 → 30, reached 50 + 10 + 20 = 80 times; the old before/after difference said −70.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listen, type Listening } from '../../../server/core/listen.ts';
import { OriginCounterWatch } from '../../../tools/load-test/origin-metrics.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('origin counter watched through a run', () => {
  const values: (number | 'down')[] = [100, 150, 'down', 10, 30];
  let served = 0;
  let server: Listening;

  before(async () => {
    server = await listen((_req, res) => {
      // Each scrape gets the next value; the last one stays.
      const v = values[Math.min(served, values.length - 1)] ?? 0;
      served += 1;
      if (v === 'down') {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`# TYPE hls_origin_http_requests_total counter\nhls_origin_http_requests_total{kind="segment"} ${v}\n`);
    }, { port: 0 });
  });

  after(async () => {
    await server.close();
  });

  it('sums the increases across the reset and skips the reading that failed', async () => {
    const watch = await OriginCounterWatch.start(server.url, 2_000, 20);
    await waitFor('every value served', () => served >= values.length);
    const warnings: string[] = [];
    const offload = await watch.finish(1_000, (m) => warnings.push(m));
    assert.ok(offload);
    assert.equal(offload.requests, 80);
    assert.equal(offload.counterResets, 1);
    assert.equal(offload.requestsBefore, 100);
    assert.equal(offload.requestsAfter, 30);
    assert.ok(offload.missedSamples >= 1, 'the 503 while "restarting" was skipped');
    assert.equal(offload.offload, 1 - 80 / 1_000);
    assert.match(warnings.join('\n'), /reset 1 time/);
  });
});
