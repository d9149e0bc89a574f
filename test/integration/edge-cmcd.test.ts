// CMCD through a real edge: never part of the cache key nor sent upstream; logged per request and counted in /metrics.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { BEHAVIOR_DEFAULTS } from '../../server/edge/behaviors.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

const SEGMENT = Buffer.alloc(32 * 1024, 0x47);
const cmcdQuery = (data: string): string => `CMCD=${encodeURIComponent(data)}`;

describe('edge and CMCD', () => {
  let origin: CountingOrigin;
  const prefix = testPrefix('edge-cmcd');
  let edge: EdgeApp;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    origin = await startCountingOrigin();
    // The access log goes to memory so the test can read the per-request lines.
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: SHARED_REDIS_URL, redisPrefix: prefix.prefix, accessLog: true }), {
      logger,
      // Query strings enter the key and reach the origin on /q/: CMCD must still stay out of both.
      behaviors: [{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/q/*', queryParams: 'all' }, { ...BEHAVIOR_DEFAULTS, pathPattern: '*' }],
    });
  });

  after(async () => {
    await edge.close();
    await origin.stop();
    await prefix.cleanup();
  });

  it('serves two requests differing only in CMCD from one entry, and never sends CMCD to the origin', async () => {
    origin.set('/vod/a/240p/seg_1.ts', { body: SEGMENT, headers: { 'content-type': 'video/mp2t' } });
    const first = await request(edge).get(`/vod/a/240p/seg_1.ts?${cmcdQuery('bl=0,br=400,ot=av,sid="sess-one",su')}`).expect(200);
    assert.equal(first.headers['x-cache'], 'MISS');
    const second = await request(edge).get(`/vod/a/240p/seg_1.ts?${cmcdQuery('bl=4000,br=400,mtp=9000,ot=av,sid="sess-two"')}`).expect(200);
    assert.equal(second.headers['x-cache'], 'HIT');
    // The same object asked with CMCD headers instead (hls.js `useHeaders`): still the same entry.
    const third = await request(edge).get('/vod/a/240p/seg_1.ts').set('CMCD-Request', 'bl=3000,mtp=12000').set('CMCD-Session', 'sid="sess-three"').expect(200);
    assert.equal(third.headers['x-cache'], 'HIT');
    assert.deepEqual(Buffer.from(third.body), SEGMENT);
    assert.equal(origin.count(), 1, 'one origin fetch for the three requests');
    assert.equal(origin.count('/vod/a/240p/seg_1.ts'), 1, 'the origin was asked for the bare path (no query at all)');
  });

  it('keeps CMCD out of the key and the upstream request even where other query parameters count', async () => {
    origin.set('/vod/q/240p/seg_1.ts', { body: SEGMENT });
    const a = await request(edge).get(`/vod/q/240p/seg_1.ts?lang=en&${cmcdQuery('sid="x1",ot=v')}`).expect(200);
    const b = await request(edge).get(`/vod/q/240p/seg_1.ts?${cmcdQuery('sid="x2",ot=v,bs')}&lang=en`).expect(200);
    assert.equal(a.headers['x-cache'], 'MISS');
    assert.equal(b.headers['x-cache'], 'HIT');
    assert.equal(origin.count('/vod/q/240p/seg_1.ts?lang=en'), 1, 'the origin saw the kept parameter and nothing else');
    assert.equal(origin.count('/vod/q/240p/seg_1.ts'), 1);
    const sent = origin.lastHeaders('/vod/q/240p/seg_1.ts') ?? {};
    assert.ok(Object.keys(sent).every((h) => !h.startsWith('cmcd-')), 'no CMCD header goes upstream');
  });

  it('writes CMCD fields on the request log line and counts them in /metrics', async () => {
    const byKey = lines.filter((l) => l['msg'] === 'request' && l['key'] === '/vod/a/240p/seg_1.ts');
    assert.equal(byKey.length, 3);
    assert.deepEqual(
      byKey.map((l) => l['cmcd']),
      [
        { sid: 'sess-one', br: 400, bl: 0, ot: 'av', su: true },
        { sid: 'sess-two', br: 400, bl: 4000, mtp: 9000, ot: 'av' },
        { sid: 'sess-three', bl: 3000, mtp: 12000 },
      ],
    );
    assert.deepEqual(byKey.map((l) => l['outcome']), ['miss', 'hit', 'hit']);

    // A request without CMCD logs none.
    await request(edge).get('/vod/a/240p/seg_1.ts').expect(200);
    assert.equal(lines.filter((l) => l['msg'] === 'request').at(-1)?.['cmcd'], undefined);

    const text = (await request(edge).get('/metrics').expect(200)).text.replace(/,?role="edge"/g, '').replace(/\{\}/g, '');
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="av",buffer_starvation="false"\} 2$/m);
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="none",buffer_starvation="false"\} 1$/m);
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="v",buffer_starvation="false"\} 1$/m);
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="v",buffer_starvation="true"\} 1$/m);
    assert.match(text, /^hls_edge_cmcd_buffer_starvation_total 1$/m);
    assert.match(text, /^hls_edge_cmcd_startup_requests_total\{object_type="av"\} 1$/m);
    assert.match(text, /^hls_edge_cmcd_buffer_length_seconds_count 3$/m);
    assert.match(text, /^hls_edge_cmcd_buffer_length_seconds_sum 7$/m);
    assert.match(text, /^hls_edge_cmcd_measured_throughput_kbps_count 2$/m);
    // The request without CMCD is counted by the cache, not by CMCD.
    assert.match(text, /^hls_edge_cache_requests_total\{outcome="hit",tier="memory"\} 4$/m);
  });
});
