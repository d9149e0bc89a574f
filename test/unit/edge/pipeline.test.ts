// The pipeline's steps driven with a fake upstream, fake responses and an injected clock: no network, no sleeping.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { UpstreamError } from '../../../server/core/errors.ts';
import { Behaviors } from '../../../server/edge/behaviors.ts';
import { createEdgeApp, type EdgeApp } from '../../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../../server/edge/edge-config.ts';
import type { UpstreamResponse, Validators } from '../../../server/edge/origin-client.ts';
import { newExchange, runPipeline } from '../../../server/edge/pipeline.ts';
import { parseRange } from '../../../server/core/http/range.ts';
import { FakeSink } from '../../helpers/fake-sink.ts';

interface FakeObject {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

class FakeUpstream {
  calls: Array<{ path: string; validators: Validators | undefined }> = [];
  objects = new Map<string, FakeObject>();
  failWith: Error | undefined;
  gate: Promise<void> | undefined;
  async fetch(path: string, validators?: Validators): Promise<UpstreamResponse> {
    this.calls.push({ path, validators });
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    const o = this.objects.get(path) ?? { status: 404, body: 'nope' };
    const etag = o.headers?.['etag'];
    if (etag && validators?.etag === etag) return { status: 304, headers: { ...o.headers }, body: Readable.from([]), upstream: 'origin', baseUrl: 'fake' };
    return { status: o.status, headers: { 'content-length': String(o.body.length), ...o.headers }, body: Readable.from([Buffer.from(o.body)]), upstream: 'origin', baseUrl: 'fake' };
  }
}

describe('pipeline', () => {
  let now = 1_900_000_000_000;
  const upstream = new FakeUpstream();
  let app: EdgeApp;
  const behaviors = new Behaviors();

  before(async () => {
    app = await createEdgeApp(testEdgeConfig({ origin: ['http://origin.invalid'], redis: 'none', player: false }), { clock: () => now, upstream });
  });
  after(() => app.close());

  async function get(path: string, headers: Record<string, string> = {}): Promise<FakeSink> {
    const res = new FakeSink();
    const req = { method: 'GET', headers, url: path } as unknown as IncomingMessage;
    const range = parseRange('GET', headers['range']);
    const conditional = headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined;
    const x = newExchange({ req, res, key: path, behavior: behaviors.match(path), isHead: false, range, canStream: range.kind === 'none' && !conditional, startedAt: performance.now() });
    await runPipeline(x, app.edge);
    return res;
  }

  it('miss, then hit from memory with the Age of the injected clock', async () => {
    upstream.objects.set('/vod/a/1.ts', { status: 200, body: 'segment one' });
    const miss = await get('/vod/a/1.ts');
    assert.equal(miss.header('X-Cache'), 'MISS');
    assert.equal(miss.body, 'segment one');
    now += 7_000;
    const hit = await get('/vod/a/1.ts');
    assert.equal(hit.header('X-Cache'), 'HIT');
    assert.equal(hit.header('Age'), '7');
    assert.equal(hit.body, 'segment one');
    assert.equal(upstream.calls.filter((c) => c.path === '/vod/a/1.ts').length, 1);
  });

  it('collapses concurrent misses in-process into one upstream call', async () => {
    upstream.objects.set('/vod/a/2.ts', { status: 200, body: 'two' });
    let open!: () => void;
    upstream.gate = new Promise<void>((r) => (open = r));
    const all = Promise.all([get('/vod/a/2.ts'), get('/vod/a/2.ts'), get('/vod/a/2.ts', { range: 'bytes=0-0' })]);
    await new Promise((r) => setImmediate(r));
    upstream.gate = undefined;
    open();
    const [a, b, c] = await all;
    assert.equal(a?.body, 'two');
    assert.equal(b?.body, 'two');
    assert.equal(c?.statusCode, 206);
    assert.equal(c?.body, 't');
    assert.equal(upstream.calls.filter((x) => x.path === '/vod/a/2.ts').length, 1);
  });

  it('revalidates with the stored validators and answers REVALIDATED on 304', async () => {
    upstream.objects.set('/vod/a/index.m3u8', { status: 200, body: '#EXTM3U', headers: { etag: '"p1"', 'cache-control': 'max-age=5, stale-while-revalidate=0' } });
    await get('/vod/a/index.m3u8');
    now += 6_000;
    const r = await get('/vod/a/index.m3u8');
    assert.equal(r.header('X-Cache'), 'REVALIDATED');
    assert.equal(r.body, '#EXTM3U');
    assert.equal(upstream.calls.at(-1)?.validators?.etag, '"p1"');
  });

  it('serves STALE within stale-if-error when the upstream fails, else a 502 JSON error', async () => {
    upstream.objects.set('/vod/b/index.m3u8', { status: 200, body: '#EXTM3U b', headers: { 'cache-control': 'max-age=1, stale-while-revalidate=0, stale-if-error=10' } });
    await get('/vod/b/index.m3u8');
    upstream.failWith = new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, 'down');
    try {
      now += 5_000;
      const stale = await get('/vod/b/index.m3u8');
      assert.equal(stale.header('X-Cache'), 'STALE');
      assert.equal(stale.body, '#EXTM3U b');
      now += 10_000;
      const err = await get('/vod/b/index.m3u8');
      assert.equal(err.statusCode, 502);
      assert.equal(err.header('X-Cache'), 'ERROR');
      assert.equal(JSON.parse(err.body).error, 'EDGE_ORIGIN_UNREACHABLE');
    } finally {
      upstream.failWith = undefined;
    }
  });

  it('does not store a fill that a purge overtook', async () => {
    upstream.objects.set('/vod/c/1.ts', { status: 200, body: 'old' });
    let open!: () => void;
    upstream.gate = new Promise<void>((r) => (open = r));
    const pending = get('/vod/c/1.ts');
    await new Promise((r) => setImmediate(r));
    app.invalidator.apply({ seq: 0, prev: 0, epoch: '', id: 'Ilocal', at: now, paths: ['/vod/c/*'] }, 'local');
    upstream.gate = undefined;
    open();
    assert.equal((await pending).body, 'old');
    assert.equal(app.memory.get('/vod/c/1.ts'), undefined);
    upstream.objects.set('/vod/c/1.ts', { status: 200, body: 'new' });
    assert.equal((await get('/vod/c/1.ts')).body, 'new');
    assert.equal((await get('/vod/c/1.ts')).header('X-Cache'), 'HIT');
  });

  it('streams but does not keep objects above the object bound', async () => {
    const small = await createEdgeApp(testEdgeConfig({ origin: ['http://origin.invalid'], redis: 'none', player: false, maxObjectMb: 0.001 }), { clock: () => now, upstream });
    try {
      upstream.objects.set('/vod/d/big.ts', { status: 200, body: 'x'.repeat(5_000) });
      const res = new FakeSink();
      const req = { method: 'GET', headers: {}, url: '/vod/d/big.ts' } as unknown as IncomingMessage;
      const x = newExchange({ req, res, key: '/vod/d/big.ts', behavior: behaviors.match('/vod/d/big.ts'), isHead: false, range: parseRange('GET', undefined), canStream: true, startedAt: 0 });
      await runPipeline(x, small.edge);
      assert.equal(res.body.length, 5_000);
      assert.equal(small.memory.get('/vod/d/big.ts'), undefined);
    } finally {
      await small.close();
    }
  });
});
