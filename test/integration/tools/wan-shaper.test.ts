// WAN emulation over real HTTP: responses wait at least the RTT for their first byte and bodies are paced, intact.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { listen, type Listening } from '../../../server/core/listen.ts';
import { startWanProxy, WAN_INFO_PATH, type WanProxy } from '../../../tools/wan/wan-proxy.ts';
import { WanShaper } from '../../../tools/wan/wan-shaper.ts';
import { cleanupDir } from '../../helpers/redis.ts';

const RTT_MS = 100;
const MBPS = 8;
const MB = 1024 * 1024;

interface Timed {
  status: number;
  ttfbMs: number;
  totalMs: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

function get(url: string, agent: http.Agent): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(url, { agent }, (res) => {
        const ttfbMs = performance.now() - started;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ttfbMs, totalMs: performance.now() - started, body: Buffer.concat(chunks), headers: res.headers }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('WanShaper over HTTP', () => {
  const big = randomBytes(MB);
  const quarter = randomBytes(MB / 4);
  let dir: string;
  let server: Listening;
  let attached: Listening;
  const agents: http.Agent[] = [];
  const agent = (): http.Agent => {
    const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(a);
    return a;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeline-wan-'));
    await writeFile(join(dir, 'file.bin'), quarter);
    const app = express();
    app.get('/small', (_req, res) => {
      res.type('text/plain').send('ok');
    });
    app.get('/big', (_req, res) => {
      res.type('application/octet-stream').send(big);
    });
    app.get('/stream', (_req, res) => {
      res.type('application/octet-stream');
      // Many small writes through pipe(): exercises backpressure ('drain') through the paced response.
      const chunks = Array.from({ length: quarter.length / 4096 }, (_, i) => quarter.subarray(i * 4096, (i + 1) * 4096));
      Readable.from(chunks).pipe(res);
    });
    app.get('/file', (_req, res) => {
      res.sendFile(join(dir, 'file.bin'));
    });
    const shaper = new WanShaper({ wanRttMs: RTT_MS, wanBandwidthMbps: MBPS, wanJitterMs: 10 });
    server = await listen(shaper.wrap(app), { port: 0 });
    attached = await listen(app, { port: 0 });
    new WanShaper({ wanRttMs: RTT_MS }).attach(attached.server);
  });

  after(async () => {
    for (const a of agents) a.destroy();
    await Promise.all([server?.close(), attached?.close()]);
    if (dir) cleanupDir(dir);
  });

  it('adds at least one RTT to every first byte, and the handshake RTT on a new connection', async () => {
    const a = agent();
    const first = await get(`${server.url}/small`, a);
    const second = await get(`${server.url}/small`, a);
    assert.equal(first.body.toString(), 'ok');
    assert.ok(first.ttfbMs >= 2 * RTT_MS - 2, `new connection: TTFB ${first.ttfbMs.toFixed(1)} ms >= 2 x RTT`);
    assert.ok(second.ttfbMs >= RTT_MS - 2, `kept-alive connection: TTFB ${second.ttfbMs.toFixed(1)} ms >= RTT`);
  });

  it('paces a 1 MB body to 8 Mbit/s and delivers it intact', async () => {
    const r = await get(`${server.url}/big`, agent());
    assert.equal(r.status, 200);
    assert.equal(sha(r.body), sha(big));
    const floorMs = ((MB * 8) / (MBPS * 1e6)) * 1000 * 0.9;
    assert.ok(r.totalMs - r.ttfbMs >= floorMs * 0.85 && r.totalMs >= floorMs, `1 MB took ${r.totalMs.toFixed(0)} ms, at least ~${floorMs.toFixed(0)} ms`);
  });

  it('paces piped streams and sendFile without losing or reordering bytes', async () => {
    const [s, f] = await Promise.all([get(`${server.url}/stream`, agent()), get(`${server.url}/file`, agent())]);
    assert.equal(sha(s.body), sha(quarter));
    assert.equal(sha(f.body), sha(quarter));
    const floorMs = ((quarter.length * 8) / (MBPS * 1e6)) * 1000 * 0.9;
    // Bandwidth is per connection: two connections each get the full rate, neither finishes faster than it allows.
    assert.ok(s.totalMs >= floorMs && f.totalMs >= floorMs, `each 256 KiB body took >= ${floorMs.toFixed(0)} ms (${s.totalMs.toFixed(0)}, ${f.totalMs.toFixed(0)})`);
  });

  it('survives a viewer that hangs up mid-body', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${server.url}/big`, { agent: agent() }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    const after = await get(`${server.url}/small`, agent());
    assert.equal(after.body.toString(), 'ok');
  });

  it('attach() puts an existing server behind the emulation', async () => {
    const a = agent();
    await get(`${attached.url}/small`, a);
    const r = await get(`${attached.url}/small`, a);
    assert.equal(r.body.toString(), 'ok');
    assert.ok(r.ttfbMs >= RTT_MS - 2, `TTFB ${r.ttfbMs.toFixed(1)} ms >= RTT`);
  });
});

describe('edgeline wan: the shaping proxy the tools put in front of an origin', () => {
  const body = randomBytes(200 * 1024);
  let target: Listening;
  let proxy: WanProxy;
  const a = new http.Agent({ keepAlive: true, maxSockets: 1 });

  before(async () => {
    const app = express();
    app.get('/seg', (req, res) => {
      res.set({ ETag: '"v1"', 'X-Custom': 'kept', 'Cache-Control': 'max-age=60' }).type('video/mp2t').send(body);
    });
    app.post('/echo', express.raw({ type: '*/*' }), (req, res) => {
      res.type('text/plain').send(`${req.headers.host} ${(req.body as Buffer).length}`);
    });
    target = await listen(app, { port: 0 });
    proxy = await startWanProxy({ target: target.url, port: 0, wan: { wanRttMs: RTT_MS, wanBandwidthMbps: 0, wanJitterMs: 0 } });
  });

  after(async () => {
    a.destroy();
    await Promise.all([proxy?.close(), target?.close()]);
  });

  it('forwards status, headers and body intact, one RTT later at least', async () => {
    const r = await get(`${proxy.url}/seg`, a);
    assert.equal(r.status, 200);
    assert.equal(sha(r.body), sha(body));
    assert.equal(r.headers['etag'], '"v1"');
    assert.equal(r.headers['x-custom'], 'kept');
    assert.ok(r.ttfbMs >= RTT_MS - 2, `TTFB ${r.ttfbMs.toFixed(1)} ms >= RTT`);
  });

  it('forwards request bodies and names the target as Host', async () => {
    const res = await fetch(`${proxy.url}/echo`, { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(await res.text(), `${new URL(target.url).host} 1000`);
  });

  it('describes what it emulates at /_wan instead of forwarding it', async () => {
    const res = await fetch(`${proxy.url}${WAN_INFO_PATH}`);
    const info = (await res.json()) as { target: string; wan: { enabled: boolean; rttMs: number } };
    assert.equal(info.target, new URL(target.url).origin);
    assert.equal(info.wan.enabled, true);
    assert.equal(info.wan.rttMs, RTT_MS);
  });

  it('answers 502 when the target is gone', async () => {
    const gone = await startWanProxy({ target: 'http://127.0.0.1:9', port: 0, wan: {} });
    try {
      const res = await fetch(`${gone.url}/seg`);
      assert.equal(res.status, 502);
    } finally {
      await gone.close();
    }
  });
});
