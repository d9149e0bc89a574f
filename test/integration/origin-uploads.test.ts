import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listen, type Listening } from '../../server/core/listen.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig, type OriginConfig } from '../../server/origin/origin-config.ts';
import { makeClip } from '../../tools/media/clip.ts';
import { rawRequest, tempDir, type TempDir } from './origin-fixture.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface Status {
  id: string;
  status: string;
  percent: number;
  playlistUrl?: string;
  error?: { code: string; message: string };
  source?: { name: string; sizeBytes: number };
}

const LIMIT_MB = 2;
const TOKEN = 'upload-test-token-1234';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

function config(mediaDir: string, overrides: Partial<{ -readonly [K in keyof OriginConfig]: OriginConfig[K] }> = {}): OriginConfig {
  return originConfig({ mediaDir, apiToken: TOKEN, uploadMaxMb: LIMIT_MB, packageLadder: ['240p'], packageSegmentSeconds: 2, packagePreset: 'ultrafast', ...overrides });
}

function newOrigin(cfg: OriginConfig): OriginApp {
  return createOriginApp(cfg, { metrics: createOriginMetrics({ processMetrics: false }) });
}

/** Poll a job until it leaves queued/packaging (bounded, so a stuck job fails the test instead of hanging it). */
async function settle(origin: OriginApp, id: string): Promise<Status> {
  return waitFor(`job ${id} to be ready or failed`, async () => {
    const body = (await request(origin.app).get(`/api/assets/${id}`).set(AUTH).expect(200)).body as Status;
    return (body.status === 'ready' || body.status === 'failed') && body;
  }, { timeoutMs: 120_000, intervalMs: 100 });
}

function uploadFiles(mediaDir: string): string[] {
  return readdirSync(join(mediaDir, 'uploads'));
}

describe('origin upload API', () => {
  let tmp: TempDir;
  let mediaDir: string;
  let origin: OriginApp;
  let clip: string;

  before(async () => {
    tmp = tempDir();
    mediaDir = join(tmp.dir, 'media');
    clip = await makeClip({ seconds: 4, width: 320, height: 240 });
    origin = newOrigin(config(mediaDir));
    await origin.start();
  });

  after(async () => {
    await origin?.close();
    tmp?.cleanup();
  });

  it('packages a real clip: 202 queued, then ready with its playlist served', async () => {
    const res = await request(origin.app).post('/api/assets').set(AUTH).field('id', 'clip-up').attach('file', clip).expect(202);
    assert.equal(res.body.id, 'clip-up');
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.statusUrl, '/api/assets/clip-up');
    assert.equal(res.headers['location'], '/api/assets/clip-up');
    const done = await settle(origin, 'clip-up');
    assert.equal(done.status, 'ready', JSON.stringify(done));
    assert.equal(done.percent, 100);
    assert.equal(done.playlistUrl, '/vod/clip-up/master.m3u8');
    assert.equal(done.source?.name, 'clip-4s-320x240-25-av.mp4');
    const master = await request(origin.app).get(done.playlistUrl ?? '').expect(200);
    assert.match(master.text, /#EXT-X-STREAM-INF/);
    // The job file on disk says ready too; the upload is gone.
    const onDisk = JSON.parse(readFileSync(join(mediaDir, 'jobs', 'clip-up.json'), 'utf8')) as Status;
    assert.equal(onDisk.status, 'ready');
    assert.deepEqual(uploadFiles(mediaDir), []);
    const metrics = await request(origin.app).get('/metrics').expect(200);
    assert.match(metrics.text, /hls_origin_packaging_jobs_total\{[^}]*result="ready"[^}]*\} 1/);
    assert.match(metrics.text, /hls_origin_packaging_duration_seconds_count\{[^}]*result="ready"[^}]*\} 1/);
  });

  it('refuses a second upload under an id that exists', async () => {
    const res = await request(origin.app).post('/api/assets?id=clip-up').set(AUTH).attach('file', Buffer.from('x'), 'x.mp4').expect(409);
    assert.equal(res.body.error, 'ASSET_EXISTS');
    assert.deepEqual(uploadFiles(mediaDir), []);
  });

  it('fails a file that is not a video with ffprobe\'s reason, naming the file', async () => {
    const text = Buffer.from('this is a text file, not a video\n'.repeat(64));
    const res = await request(origin.app).post('/api/assets').set(AUTH).attach('file', text, 'notes.txt').expect(202);
    const id = res.body.id as string;
    assert.match(id, /^notes-[a-z0-9]+$/, 'id derived from the file name');
    const done = await settle(origin, id);
    assert.equal(done.status, 'failed');
    assert.ok(done.error, 'a failed job carries its error');
    assert.match(done.error.message, /notes\.txt/);
    assert.match(done.error.message, /invalid data|no (video|audio|stream)|not a video|could not|ffprobe/i);
    assert.ok(!done.error.message.includes(join(mediaDir, 'uploads')), 'the server-side path stays private');
    assert.deepEqual(uploadFiles(mediaDir), []);
  });

  it('answers 413 naming the limit when a file is too large, and removes the partial upload', async () => {
    const big = Buffer.alloc(LIMIT_MB * 1024 * 1024 + 4096, 7);
    const res = await request(origin.app).post('/api/assets').set(AUTH).field('id', 'too-big').attach('file', big, 'big.mp4').expect(413);
    assert.equal(res.body.error, 'PAYLOAD_TOO_LARGE');
    assert.match(res.body.message, new RegExp(`${LIMIT_MB} MiB`));
    assert.deepEqual(uploadFiles(mediaDir), []);
    await request(origin.app).get('/api/assets/too-big').set(AUTH).expect(404);
  });

  it('answers 413 before reading a body whose declared length is over the limit', async () => {
    const server: Listening = await listen(origin.app, { port: 0 });
    try {
      const res = await rawRequest(server.url, '/api/assets', {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': String(50 * 1024 * 1024) },
      });
      assert.equal(res.status, 413);
      assert.match(res.body.toString(), /MiB/);
    } finally {
      await server.close();
    }
  });

  it('removes the partial file when the client goes away mid-upload', async () => {
    const server: Listening = await listen(origin.app, { port: 0 });
    try {
      const url = new URL(server.url);
      const head = '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="cut.mp4"\r\nContent-Type: video/mp4\r\n\r\n';
      await new Promise<void>((resolve) => {
        const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/api/assets', headers: { ...AUTH, 'Content-Type': 'multipart/form-data; boundary=b0undary', 'Content-Length': String(1024 * 1024) } });
        req.on('error', () => resolve());
        req.write(head);
        req.write(Buffer.alloc(64 * 1024, 1), () => {
          // Wait until the server has started the temp file, then cut the connection.
          void waitFor('the upload\'s temp file', () => uploadFiles(mediaDir).length > 0).finally(() => {
            req.destroy();
            resolve();
          });
        });
      });
      await waitFor('the partial upload to be removed', () => uploadFiles(mediaDir).length === 0);
      const metrics = await request(origin.app).get('/metrics').expect(200);
      assert.match(metrics.text, /hls_origin_uploads_total\{[^}]*result="aborted"[^}]*\} 1/);
    } finally {
      await server.close();
    }
  });

  it('refuses an empty file, a body without a file, and a body that is not multipart', async () => {
    const empty = await request(origin.app).post('/api/assets').set(AUTH).attach('file', Buffer.alloc(0), 'empty.mp4').expect(400);
    assert.equal(empty.body.error, 'EMPTY_UPLOAD');
    assert.match(empty.body.message, /empty\.mp4/);
    const none = await request(origin.app).post('/api/assets').set(AUTH).field('id', 'nothing').expect(400);
    assert.equal(none.body.error, 'NO_FILE');
    const json = await request(origin.app).post('/api/assets').set(AUTH).send({ file: 'x' }).expect(415);
    assert.equal(json.body.error, 'UNSUPPORTED_MEDIA_TYPE');
    const badId = await request(origin.app).post('/api/assets').set(AUTH).field('id', '../evil').attach('file', Buffer.from('x'), 'x.mp4').expect(400);
    assert.equal(badId.body.error, 'BAD_ASSET_ID');
    assert.deepEqual(uploadFiles(mediaDir), []);
  });

  it('lists jobs and assets packaged outside the API', async () => {
    mkdirSync(join(mediaDir, 'hls', 'from-cli'), { recursive: true });
    writeFileSync(join(mediaDir, 'hls', 'from-cli', 'master.m3u8'), '#EXTM3U\n');
    const res = await request(origin.app).get('/api/assets').set(AUTH).expect(200).expect('Cache-Control', 'no-store');
    const byId = new Map((res.body.assets as Status[]).map((a) => [a.id, a]));
    assert.equal(byId.get('clip-up')?.status, 'ready');
    assert.equal(byId.get('from-cli')?.status, 'ready');
    assert.equal(byId.get('from-cli')?.playlistUrl, '/vod/from-cli/master.m3u8');
    assert.ok([...byId.values()].some((a) => a.status === 'failed'));
    await request(origin.app).get('/api/assets/from-cli').set(AUTH).expect(200);
    const missing = await request(origin.app).get('/api/assets/nope').set(AUTH).expect(404);
    assert.equal(missing.body.error, 'ASSET_NOT_FOUND');
  });

  it('reports the queue in /healthz', async () => {
    const res = await request(origin.app).get('/healthz').expect(200);
    assert.equal(res.body.jobs.concurrency, 1);
    assert.equal(res.body.jobs.waiting, 0);
    assert.equal(res.body.jobs.running, 0);
    assert.ok(res.body.jobs.ready >= 1);
  });
});

describe('origin job recovery after a restart', () => {
  let tmp: TempDir;

  before(() => {
    tmp = tempDir();
  });

  after(() => tmp?.cleanup());

  it('re-queues a job left packaging whose upload survived, and fails one whose upload is gone', async () => {
    const mediaDir = join(tmp.dir, 'media');
    for (const sub of ['jobs', 'uploads']) mkdirSync(join(mediaDir, sub), { recursive: true });
    const clip = await makeClip({ seconds: 4, width: 320, height: 240 });
    const survived = join(mediaDir, 'uploads', 'resumed.1234.upload');
    copyFileSync(clip, survived);
    const job = (id: string, uploadPath: string): string =>
      JSON.stringify({ id, status: 'packaging', percent: 42, stage: 'encoding', source: { name: `${id}.mp4`, sizeBytes: 1 }, uploadPath, createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:05.000Z', startedAt: '2024-01-01T00:00:01.000Z', attempts: 1 });
    writeFileSync(join(mediaDir, 'jobs', 'resumed.json'), job('resumed', survived));
    writeFileSync(join(mediaDir, 'jobs', 'orphan.json'), job('orphan', join(mediaDir, 'uploads', 'orphan.9999.upload')));
    // Debris of a crash mid-upload and mid-write: removed at startup.
    writeFileSync(join(mediaDir, 'uploads', '.0000-half.part'), 'half');
    writeFileSync(join(mediaDir, 'jobs', '.resumed.abcd.tmp'), '{"id":');

    const origin = newOrigin(config(mediaDir));
    try {
      await origin.start();
      const orphan = (await request(origin.app).get('/api/assets/orphan').set(AUTH).expect(200)).body as Status;
      assert.equal(orphan.status, 'failed');
      assert.match(orphan.error?.message ?? '', /interrupted by restart/);
      assert.equal(JSON.parse(readFileSync(join(mediaDir, 'jobs', 'orphan.json'), 'utf8')).status, 'failed');
      assert.equal(existsSync(join(mediaDir, 'uploads', '.0000-half.part')), false);
      assert.equal(existsSync(join(mediaDir, 'jobs', '.resumed.abcd.tmp')), false);

      const resumed = await settle(origin, 'resumed');
      assert.equal(resumed.status, 'ready', JSON.stringify(resumed));
      assert.equal(origin.jobs.get('resumed')?.attempts, 2);
      assert.equal(existsSync(survived), false, 'upload removed once packaged');
    } finally {
      await origin.close();
    }
  });
});
