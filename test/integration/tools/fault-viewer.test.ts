// The fault suite's viewers against real HTTP servers: a steered master over two "edges"; when one dies they move to
// the other pathway without a failed request, and when both die the failures are counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listen, type Listening } from '../../../server/core/listen.ts';
import { ViewerPool } from '../../../tools/faults/viewer-pool.ts';
import { startHlsFixture, type HlsFixture } from '../../helpers/hls-fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** What the router serves: every variant once per pathway (edge), absolute URLs, a steering manifest preferring A. */
async function startSteeringServer(a: string, b: string): Promise<Listening> {
  const master = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-CONTENT-STEERING:SERVER-URI="/steering/vod/a",PATHWAY-ID="A"',
    '#EXT-X-STREAM-INF:BANDWIDTH=400000,CODECS="avc1.4d401e,mp4a.40.2",PATHWAY-ID="A"',
    `${a}/vod/a/low/index.m3u8`,
    '#EXT-X-STREAM-INF:BANDWIDTH=400000,CODECS="avc1.4d401e,mp4a.40.2",PATHWAY-ID="B"',
    `${b}/vod/a/low/index.m3u8`,
    '',
  ].join('\n');
  return listen(
    (req, res) => {
      if (req.url === '/vod/a/master.m3u8') res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(master);
      else if (req.url === '/steering/vod/a') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ VERSION: 1, TTL: 1, 'PATHWAY-PRIORITY': ['A', 'B'] }));
      else res.writeHead(404).end();
    },
    { port: 0 },
  );
}

describe('fault suite viewers', () => {
  let a: HlsFixture;
  let b: HlsFixture;
  let router: Listening;
  let pool: ViewerPool;

  before(async () => {
    a = await startHlsFixture({ renditions: [{ name: 'low', bandwidth: 400_000, segmentBytes: 2_000 }], segmentDurationS: 1 });
    b = await startHlsFixture({ renditions: [{ name: 'low', bandwidth: 400_000, segmentBytes: 2_000 }], segmentDurationS: 1 });
    router = await startSteeringServer(a.url, b.url);
    pool = new ViewerPool({ masterUrl: `${router.url}/vod/a/master.m3u8`, viewers: 3, rampMs: 300, buffer: { startupThresholdS: 2, resumeThresholdS: 1, maxBufferS: 3 }, timeoutMs: 2_000 });
    pool.start();
  });

  after(async () => {
    await pool.stop();
    await Promise.all([b.close(), router.close()]);
  });

  it('play on the preferred pathway, move to the other when its edge dies, and count no failed request', async () => {
    assert.equal(await pool.allPlaying(15_000), true);
    assert.equal(pool.edges().get(a.url), 3, 'every viewer starts on pathway A');
    await a.close();
    await waitFor('every viewer on pathway B', () => pool.edges().get(b.url) === 3, { timeoutMs: 15_000 });
    const segmentsOnB = b.counts().segment;
    await waitFor('viewers to keep fetching from B', () => b.counts().segment >= segmentsOnB + 3, { timeoutMs: 15_000 });
    const failed = pool.events.filter((e) => !e.ok && e.kind !== 'steering');
    assert.deepEqual(failed, [], 'a request refused by A and answered by B is a failover, not a failure');
    assert.ok(pool.events.some((e) => e.ok && e.failedOver && e.pathway === 'B'), 'at least one request failed over to B');
  });

  it('with both edges gone, the failures are counted', async () => {
    await b.close();
    await waitFor('a failed viewer request', () => pool.events.some((e) => !e.ok && e.kind !== 'steering'), { timeoutMs: 15_000 });
    const totals = await pool.stop();
    assert.ok(totals.failedRequests > 0);
    assert.equal(totals.viewers, 3);
  });
});
