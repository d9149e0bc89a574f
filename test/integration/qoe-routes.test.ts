// POST /qoe and GET /qoe/sessions in a role's app: bad input gets a 4xx with a stable code, good beacons become metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { createApp, finishApp } from '../../server/core/http.ts';
import { rootLogger } from '../../server/core/log.ts';
import { createHttpMetrics } from '../../server/core/metrics.ts';
import type { Beacon } from '../../server/core/qoe/beacon-schema.ts';
import { createQoeRouter, type QoeRouterOptions } from '../../server/core/qoe/qoe-routes.ts';

const TOKEN = 'qoe-read-token-0123456789';
const AUTH = `Bearer ${TOKEN}`;

function app(opts: Partial<QoeRouterOptions> = {}) {
  const metrics = createHttpMetrics('origin', { processMetrics: false });
  const a = createApp({ role: 'origin', logger: rootLogger, metrics });
  const qoe = createQoeRouter({ registry: metrics.registry, role: 'origin', readToken: TOKEN, readTokenSetting: 'ORIGIN_API_TOKEN (--api-token)', ...opts });
  a.use(qoe.router);
  return { app: finishApp(a, rootLogger), qoe };
}

function beacon(over: Partial<Beacon> = {}): Beacon {
  return {
    v: 1,
    type: 'start',
    seq: 0,
    sessionId: 'sess-12345678',
    src: 'http://127.0.0.1:8080/vod/sample/master.m3u8',
    arm: 'direct',
    sentAtMs: 2100,
    metrics: {
      startupMs: 640, firstSegmentTtfbMs: 310, stallCount: 0, stallMs: 0, watchMs: 1500, avgBitrateKbps: 800, peakBitrateKbps: 800,
      renditionSwitches: 0, droppedFrames: 0, totalFrames: 40, fatalErrors: 0, recoveries: 0, nonFatalErrors: 0, currentTimeS: 1.5, bufferS: 6, level: 1,
    },
    segments: [{ sn: 0, level: 1, type: 'main', isInit: false, atMs: 300, durationS: 2, bytes: 180_000, ttfbMs: 150, downloadMs: 200, throughputKbps: 7200, xCache: null }],
    errors: [],
    ...over,
  };
}

describe('QoE routes', () => {
  it('counts a good beacon in /metrics and keeps the session', async () => {
    const { app: a } = app();
    await request(a).post('/qoe').send(beacon()).expect(204);
    await request(a).post('/qoe').send(beacon({ type: 'final', seq: 1, segments: [] })).expect(204);
    await request(a).post('/qoe').send(beacon({ type: 'final', seq: 1 })).expect(204);
    const metrics = (await request(a).get('/metrics').expect(200)).text;
    assert.match(metrics, /hls_origin_qoe_beacons_total\{[^}]*type="start",result="accepted"[^}]*\} 1/);
    assert.match(metrics, /hls_origin_qoe_beacons_total\{[^}]*type="final",result="late"[^}]*\} 1/);
    assert.match(metrics, /hls_origin_qoe_startup_seconds_count\{[^}]*kind="vod",arm="direct"[^}]*\} 1/);
    assert.match(metrics, /hls_origin_qoe_segments_total\{[^}]*x_cache="none"[^}]*\} 1/);
    assert.match(metrics, /hls_origin_qoe_sessions_total\{[^}]*kind="vod",arm="direct",started="true"[^}]*\} 1/);
    const list = (await request(a).get('/qoe/sessions?arm=direct').set('Authorization', AUTH).expect(200)).body as { count: number; sessions: Array<{ sessionId: string; finalizedBy: string; firstSeenAt: string; segments: unknown[] }> };
    assert.equal(list.count, 1);
    assert.equal(list.sessions[0]?.finalizedBy, 'final');
    assert.equal(list.sessions[0]?.segments.length, 1);
    assert.match(list.sessions[0]?.firstSeenAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal((await request(a).get('/qoe/sessions?arm=other').set('Authorization', AUTH).expect(200)).body.count, 0);
    await request(a).get('/qoe/sessions/sess-12345678').set('Authorization', AUTH).expect(200);
    assert.equal((await request(a).get('/qoe/sessions/nope').set('Authorization', AUTH).expect(404)).body.error, 'QOE_SESSION_NOT_FOUND');
    assert.equal((await request(a).get('/qoe/sessions?limit=0').set('Authorization', AUTH).expect(400)).body.error, 'BAD_REQUEST');
  });

  it('accepts the text/plain body sendBeacon sends for a string', async () => {
    const { app: a, qoe } = app();
    await request(a).post('/qoe').set('Content-Type', 'text/plain;charset=UTF-8').send(JSON.stringify(beacon())).expect(204);
    assert.equal(qoe.store.size, 1);
  });

  it('rejects bad JSON, schema violations, other media types and oversized bodies with 4xx', async () => {
    const { app: a, qoe } = app({ maxBodyBytes: 4096 });
    const bad = await request(a).post('/qoe').set('Content-Type', 'application/json').send('{"v":1,').expect(400);
    assert.equal(bad.body.error, 'QOE_INVALID_JSON');
    const invalid = await request(a).post('/qoe').send({ ...beacon(), sessionId: 'x' }).expect(400);
    assert.equal(invalid.body.error, 'QOE_INVALID_BEACON');
    assert.match(invalid.body.message, /sessionId/);
    await request(a).post('/qoe').set('Content-Type', 'application/x-www-form-urlencoded').send('a=1').expect(415);
    const big = beacon({ segments: Array.from({ length: 60 }, (_, i) => ({ ...beacon().segments[0]!, sn: i })) });
    const tooLarge = await request(a).post('/qoe').send(big).expect(413);
    assert.equal(tooLarge.body.error, 'QOE_BEACON_TOO_LARGE');
    assert.equal(qoe.store.size, 0);
    const metrics = (await request(a).get('/metrics')).text;
    assert.match(metrics, /hls_origin_qoe_beacons_total\{[^}]*type="unknown",result="invalid"[^}]*\} 3/);
    assert.match(metrics, /hls_origin_qoe_beacons_total\{[^}]*type="unknown",result="too_large"[^}]*\} 1/);
  });

  it('rate-limits a client that sends too many beacons', async () => {
    const { app: a } = app({ rateLimit: { burst: 3, perSecond: 0.01 } });
    for (let seq = 0; seq < 3; seq++) await request(a).post('/qoe').send(beacon({ seq, type: 'update' })).expect(204);
    const limited = await request(a).post('/qoe').send(beacon({ seq: 3, type: 'update' })).expect(429);
    assert.equal(limited.body.error, 'QOE_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  it('sessions are readable only with the admin token; without one configured, by no one', async () => {
    const { app: a } = app();
    await request(a).post('/qoe').send(beacon()).expect(204);
    for (const path of ['/qoe/sessions', '/qoe/sessions/sess-12345678']) {
      const anonymous = await request(a).get(path).expect(401);
      assert.equal(anonymous.body.error, 'QOE_UNAUTHORIZED');
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="edgeline-qoe"');
      await request(a).get(path).set('Authorization', 'Bearer wrong-token').expect(401);
      await request(a).get(path).set('Authorization', AUTH).expect(200);
    }
    const { app: closed } = app({ readToken: undefined });
    await request(closed).post('/qoe').send(beacon()).expect(204);
    for (const path of ['/qoe/sessions', '/qoe/sessions/sess-12345678']) {
      const r = await request(closed).get(path).set('Authorization', AUTH).expect(403);
      assert.equal(r.body.error, 'QOE_SESSIONS_DISABLED');
      assert.match(r.body.message, /ORIGIN_API_TOKEN/);
    }
  });

  it('keeps a beacon\'s playlist URL without its query: a signed URL\'s Policy, Signature and Key-Pair-Id never reach the store', async () => {
    const { app: a, qoe } = app();
    const signed = 'https://cdn.example.com/vod/sample/master.m3u8?Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Signature=abc~def&Key-Pair-Id=K2JCJMDEHXQW5F&token=t#frag';
    await request(a).post('/qoe').send(beacon({ sessionId: 'sess-signed-1', src: signed })).expect(204);
    assert.equal(qoe.store.get('sess-signed-1')?.src, 'https://cdn.example.com/vod/sample/master.m3u8');
    await request(a).post('/qoe').send(beacon({ sessionId: 'sess-signed-2', src: 'https://user:pw@cdn.example.com/vod/a/master.m3u8?Expires=1&Signature=x' })).expect(204);
    await request(a).post('/qoe').send(beacon({ sessionId: 'sess-signed-3', src: '/vod/b/master.m3u8?Expires=1&Signature=x&Key-Pair-Id=K' })).expect(204);
    const listed = await request(a).get('/qoe/sessions').set('Authorization', AUTH).expect(200);
    const text = JSON.stringify(listed.body);
    for (const secret of ['Signature', 'Policy', 'Key-Pair-Id', 'Expires', 'token', 'pw@', 'frag']) assert.equal(text.includes(secret), false, `no ${secret} in GET /qoe/sessions`);
    assert.deepEqual(
      (listed.body.sessions as Array<{ src: string }>).map((x) => x.src).sort(),
      ['/vod/b/master.m3u8', 'https://cdn.example.com/vod/a/master.m3u8', 'https://cdn.example.com/vod/sample/master.m3u8'],
    );
  });
});
