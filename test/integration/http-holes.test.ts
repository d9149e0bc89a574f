// Small HTTP holes: duplicate Host on every role, the HTTPS redirect's Location, slowloris at the header timeout, one warning per Redis outage.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { defaultsOf } from '../../server/core/config.ts';
import { listen, SERVER_LIMITS, type Listening } from '../../server/core/listen.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS } from '../../server/edge/behaviors.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createRouterApp, type RouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startPrivateRedis } from '../helpers/redis.ts';

/** Sends raw bytes, returns the status line of the answer (or '' when the server just closed). */
async function raw(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(text);
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  await once(socket, 'close');
  return got.split('\r\n')[0] ?? '';
}

/** Resolves when the socket closes (events.once would reject on the EPIPE a write to a cut socket raises first). */
function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

const DUPLICATE_HOST = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`;

describe('duplicate Host headers (RFC 9112 §3.2)', () => {
  let media: string;
  let origin: OriginApp;
  let edge: EdgeApp;
  let router: RouterApp;
  const servers: Listening[] = [];

  before(async () => {
    media = mkdtempSync(join(tmpdir(), 'edgeline-holes-'));
    origin = createOriginApp(originConfig({ mediaDir: media }), { metrics: createOriginMetrics() });
    await origin.start();
    edge = await createEdgeApp(testEdgeConfig({ origin: ['http://127.0.0.1:9'], redis: 'none' }));
    router = createRouterApp(defaultsOf(routerFields, { edges: [{ url: 'http://127.0.0.1:9', region: undefined }] }), { processMetrics: false });
    for (const handler of [origin.app as RequestListener, edge, router.app as RequestListener]) servers.push(await listen(handler, { port: 0 }));
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all([edge.close(), router.close(), origin.close()]);
    rmSync(media, { recursive: true, force: true });
  });

  it('answer 400 on every role, on media paths and the rest', async () => {
    const [o, e, r] = servers as [Listening, Listening, Listening];
    for (const [server, path] of [[o, '/healthz'], [o, '/vod/a/master.m3u8'], [e, '/healthz'], [e, '/vod/a/master.m3u8'], [r, '/healthz'], [r, '/vod/a/master.m3u8']] as const) {
      assert.match(await raw(server.port, DUPLICATE_HOST(path)), /^HTTP\/1\.1 400 /, `${server.url}${path}`);
    }
    // One Host is fine.
    assert.match(await raw(e.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  });
});

describe('redirect to HTTPS', () => {
  let origin: CountingOrigin;
  let edge: EdgeApp;

  before(async () => {
    origin = await startCountingOrigin();
    // A certificate file is only read by the CLI: the app needs to know HTTPS is served, and where.
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', tlsCert: '/unused.pem', tlsKey: '/unused.key', httpsPort: 8443, publicUrl: 'http://cdn.example.com:8081' }), {
      behaviors: [{ ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/secure/*', viewerProtocolPolicy: 'redirect-to-https' }, ...DEFAULT_BEHAVIORS],
    });
  });
  after(async () => {
    await edge.close();
    await origin.stop();
  });

  it('builds Location from the configured public URL, never from the request\'s Host', async () => {
    const server = await listen(edge, { port: 0 });
    try {
      const socket = connect(server.port, '127.0.0.1');
      socket.write('GET /vod/secure/240p/seg_0.ts?x=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      await once(socket, 'close');
      assert.match(got, /^HTTP\/1\.1 301 /);
      assert.match(got, /\r\nLocation: https:\/\/cdn\.example\.com:8443\/vod\/secure\/240p\/seg_0\.ts\?x=1\r\n/i);
      assert.doesNotMatch(got, /evil\.example/);
    } finally {
      await server.close();
    }
  });
});

describe('slowloris', () => {
  // Node's default sweep (every 30 s) would cut it only after the test's own time limit.
  it('cuts a connection that sends its headers slowly at the header timeout, not a complete request held as long', { timeout: 20_000 }, async () => {
    const HEADERS_TIMEOUT_MS = 2_000;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const server = await listen(
      (_req, res) => {
        void held.then(() => res.end('late answer'));
      },
      { port: 0, headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: 60_000, idleTimeoutMs: 60_000 },
    );
    const open: Socket[] = [];
    const dribble = (socket: Socket): NodeJS.Timeout => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      let n = 0;
      // One header byte every 100 ms: every write resets an idle timer, never the header timer.
      return setInterval(() => socket.write(n++ % 2 === 0 ? 'X' : '-'), 100);
    };
    try {
      const first = connect(server.port, '127.0.0.1');
      const complete = connect(server.port, '127.0.0.1');
      for (const s of [first, complete]) {
        s.on('error', () => undefined);
        open.push(s);
      }
      await Promise.all([once(first, 'connect'), once(complete, 'connect')]);
      const firstTimer = dribble(first);
      complete.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'); // complete headers at the same moment; the answer is held
      let answer = '';
      complete.on('data', (d: Buffer) => (answer += d.toString()));
      // A second slow client, half a header timeout later: it must outlive the first (the cut is per connection, at
      // its own timeout, not at some global sweep long after).
      await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS / 2));
      const later = connect(server.port, '127.0.0.1');
      later.on('error', () => undefined);
      open.push(later);
      const laterTimer = dribble(later);
      await closed(first);
      clearInterval(firstTimer);
      assert.equal(later.destroyed, false, 'the later slow client is still connected when the first is cut');
      assert.equal(complete.destroyed, false, 'the complete request is not cut');
      await closed(later);
      clearInterval(laterTimer);
      release();
      await closed(complete);
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /late answer/);
    } finally {
      release();
      for (const s of open) s.destroy();
      await server.close();
    }
  });

  it('the documented header timeout is what every role listens with', () => {
    assert.equal(SERVER_LIMITS.headersTimeoutMs, 20_000);
  });
});

describe('a Redis outage', () => {
  it('logs one warning when it starts and one line when it ends, however much traffic fails in between', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as { level: number; msg: string });
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const redis = await startPrivateRedis();
    const origin = await startCountingOrigin();
    origin.set('/vod/o/720p/seg_1.ts', { body: 'seg', headers: { 'content-type': 'video/mp2t' } });
    const edges = [
      await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: redis.url, redisPrefix: 'outage:', id: 'edge-a', heartbeatMs: 100, breakerCooldownMs: 200 }), { logger }),
      await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: redis.url, redisPrefix: 'outage:', id: 'edge-b', heartbeatMs: 100, breakerCooldownMs: 200 }), { logger }),
    ];
    const servers = await Promise.all(edges.map((e) => listen(e, { port: 0 })));
    try {
      const from = lines.length;
      await redis.stop();
      // Traffic and heartbeats for a couple of seconds against a dead Redis: misses, fills, stores, heartbeats, purge reads.
      const started = Date.now();
      let n = 0;
      while (Date.now() - started < 2_000) {
        for (const s of servers) await fetch(`${s.url}/vod/o/720p/seg_${n % 7}.ts`).then((r) => r.arrayBuffer()).catch(() => undefined);
        n++;
      }
      await redis.start();
      await waitFor('both edges to be back on Redis', () => edges.every((e) => e.redis?.isAvailable), { timeoutMs: 15_000 });
      await waitFor('both outages to be reported over', () => lines.slice(from).filter((l) => l.msg === 'redis tier back').length === 2, { timeoutMs: 15_000 });
      const during = lines.slice(from);
      const warnings = during.filter((l) => l.level === 40 && /redis/i.test(l.msg) && !/purge log/.test(l.msg));
      assert.deepEqual(
        warnings.map((l) => l.msg),
        ['redis tier unavailable: serving from memory and origin until it is back', 'redis tier unavailable: serving from memory and origin until it is back'],
        `one warning per edge for the whole outage (${n} rounds of requests)`,
      );
      assert.ok(during.filter((l) => l.level === 20 && l.msg === 'redis still unavailable').length > 2, 'the rest went to debug (and to hls_edge_redis_errors_total)');
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(edges.map((e) => e.close()));
      await redis.stop();
      await origin.stop();
    }
  });
});
