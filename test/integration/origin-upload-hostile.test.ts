// Hostile uploads to a real origin with real ffmpeg: manifests and playlists that point elsewhere are refused before any
// demuxer reads them (nothing fetched, nothing read, nothing published), the API needs its token, and it is bounded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listen, type Listening } from '../../server/core/listen.ts';
import { resolveFfmpegPaths } from '../../server/origin/ffmpeg/paths.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig, type OriginConfig } from '../../server/origin/origin-config.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';
import { processesWhere } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { tempDir, type TempDir } from './origin-fixture.ts';

const TOKEN = 'hostile-upload-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

interface Status {
  id: string;
  status: string;
  error?: { code: string; message: string };
}

type Overrides = Partial<{ -readonly [K in keyof OriginConfig]: OriginConfig[K] }>;

function newOrigin(mediaDir: string, overrides: Overrides = {}, ffmpeg = ffmpegPaths): OriginApp {
  const config = originConfig({ mediaDir, apiToken: TOKEN, packageLadder: ['240p'], packageSegmentSeconds: 2, packagePreset: 'ultrafast', ...overrides });
  return createOriginApp(config, { metrics: createOriginMetrics({ processMetrics: false }), ffmpeg });
}

async function settle(origin: OriginApp, id: string): Promise<Status> {
  return waitFor(`job ${id} to be ready or failed`, async () => {
    const body = (await request(origin.app).get(`/api/assets/${id}`).set(AUTH).expect(200)).body as Status;
    return (body.status === 'ready' || body.status === 'failed') && body;
  }, { timeoutMs: 120_000, intervalMs: 100 });
}

/** An HTTP server that counts every request: the SSRF target. */
async function countingServer(): Promise<{ server: Listening; hits: () => number; urls: string[] }> {
  const urls: string[] = [];
  const server = await listen((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(404).end();
  }, { port: 0 });
  return { server, hits: () => urls.length, urls };
}

function dashManifest(baseUrl: string): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT4S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">',
    '<Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="100000" width="320" height="240" codecs="avc1.64000d">',
    `<BaseURL>${baseUrl}</BaseURL>`,
    '</Representation></AdaptationSet></Period></MPD>',
    '',
  ].join('\n');
}

/** Every file under dir (recursively), for "nothing was published" and "the secret was not copied". */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((n) => join(dir, n)).filter((p) => statSync(p).isFile());
}

describe('hostile uploads to a real origin', { timeout: 300_000 }, () => {
  let tmp: TempDir;
  let mediaDir: string;
  let outside: string;
  let secretClip: string;
  let origin: OriginApp;
  let target: Awaited<ReturnType<typeof countingServer>>;

  before(async () => {
    tmp = tempDir('edgeline-hostile-upload-');
    mediaDir = join(tmp.dir, 'media');
    outside = join(tmp.dir, 'outside');
    mkdirSync(outside, { recursive: true });
    // A real, playable mp4 outside the media folder: an origin that followed a reference to it would package it.
    secretClip = join(outside, 'secret.mp4');
    copyFileSync(await makeClip({ seconds: 4, width: 320, height: 240 }), secretClip);
    target = await countingServer();
    origin = newOrigin(mediaDir);
    await origin.start();
  });

  after(async () => {
    await origin?.close();
    await target?.server.close();
    tmp?.cleanup();
  });

  /** Uploads `body` as `name`, expects 202, waits for the job; asserts it failed by the format rule and left nothing. */
  async function refusedUpload(id: string, name: string, body: Buffer | string, format: RegExp): Promise<Status> {
    const res = await request(origin.app).post('/api/assets').set(AUTH).field('id', id).attach('file', Buffer.from(body), name).expect(202);
    assert.equal(res.body.status, 'queued');
    const done = await settle(origin, id);
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.equal(done.error?.code, 'PACKAGING_FORMAT_NOT_ALLOWED', JSON.stringify(done));
    assert.match(done.error?.message ?? '', format);
    assert.match(done.error?.message ?? '', /is not allowed; allowed: mov\/mp4, matroska\/webm/);
    assert.equal(existsSync(join(mediaDir, 'hls', id)), false, 'no asset published');
    await request(origin.app).get(`/vod/${id}/master.m3u8`).expect(404);
    assert.deepEqual(readdirSync(join(mediaDir, 'uploads')), [], 'the upload is removed');
    return done;
  }

  it('refuses anonymous and wrong-token requests to the upload API with 401, writing nothing', async () => {
    const anon = await request(origin.app).post('/api/assets').field('id', 'anon').attach('file', secretClip).expect(401);
    assert.equal(anon.body.error, 'ORIGIN_UNAUTHORIZED');
    assert.match(anon.headers['www-authenticate'] ?? '', /^Bearer /);
    await request(origin.app).get('/api/assets').expect(401);
    await request(origin.app).get('/api/assets/anon').expect(401);
    await request(origin.app).get('/api/assets').set('Authorization', 'Bearer wrong-token').expect(401);
    await request(origin.app).get('/api/assets').set('Authorization', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`).expect(401);
    assert.deepEqual(readdirSync(join(mediaDir, 'uploads')), []);
    assert.deepEqual(origin.jobs.list(), []);
  });

  it('refuses a DASH manifest (named .mp4) whose BaseURL is a file outside the media folder, reading nothing', async () => {
    const done = await refusedUpload('dash-file', 'movie.mp4', dashManifest(`file://${secretClip}`), /container format "dash"/);
    assert.ok(!done.error?.message.includes(secretClip), 'the message does not echo the target');
    // Had ffmpeg followed the BaseURL, the secret clip's segments would be somewhere under the media folder.
    const secretSize = statSync(secretClip).size;
    for (const f of filesUnder(mediaDir)) assert.ok(!f.endsWith('.ts') && statSync(f).size !== secretSize, `unexpected file ${f}`);
  });

  it('refuses a DASH manifest whose BaseURL is an HTTP URL, which is never fetched', async () => {
    await refusedUpload('dash-http', 'movie.mp4', dashManifest(`http://127.0.0.1:${target.server.port}/dash/x.mp4`), /container format "dash"/);
    assert.equal(target.hits(), 0, `fetched: ${target.urls.join(', ')}`);
  });

  it('refuses an HLS playlist pointing at an HTTP segment, never fetched', async () => {
    const m3u8 = `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nhttp://127.0.0.1:${target.server.port}/hls/seg.ts\n#EXT-X-ENDLIST\n`;
    await refusedUpload('hls-http', 'movie.mp4', m3u8, /container format "hls"/);
    assert.equal(target.hits(), 0, `fetched: ${target.urls.join(', ')}`);
  });

  it('refuses an ffconcat list naming a file outside the media folder', async () => {
    await refusedUpload('concat-file', 'movie.mp4', `ffconcat version 1.0\nfile '${secretClip}'\n`, /container format "concat"/);
  });

  it('refuses a still picture (image2 family)', async () => {
    const png = join(tmp.dir, 'still.png');
    await promisify(execFile)(ffmpegPaths.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', '-y', png]);
    await refusedUpload('still', 'still.mp4', readFileSync(png), /container format "png_pipe"/);
  });

  it('accepts a real mp4 (202) and packages it', async () => {
    const res = await request(origin.app).post('/api/assets').set(AUTH).field('id', 'real').attach('file', await makeClip({ seconds: 4, width: 320, height: 240 })).expect(202);
    assert.equal(res.body.id, 'real');
    const done = await settle(origin, 'real');
    assert.equal(done.status, 'ready', JSON.stringify(done));
    await request(origin.app).get('/vod/real/master.m3u8').expect(200);
    assert.equal(target.hits(), 0);
  });

  it('packages no more renditions than MAX_RENDITIONS, the highest of the ladder', async () => {
    const capped = newOrigin(join(tmp.dir, 'capped'), { maxRenditions: 1, packageLadder: ['360p', '240p'] });
    await capped.start();
    try {
      await request(capped.app).post('/api/assets').set(AUTH).field('id', 'capped').attach('file', await makeClip({ seconds: 4, width: 640, height: 480 })).expect(202);
      const done = await waitFor('job capped to settle', async () => {
        const body = (await request(capped.app).get('/api/assets/capped').set(AUTH).expect(200)).body as Status & { renditions?: string[] };
        return (body.status === 'ready' || body.status === 'failed') && body;
      }, { timeoutMs: 120_000, intervalMs: 100 });
      assert.equal(done.status, 'ready', JSON.stringify(done));
      assert.deepEqual(done.renditions, ['360p']);
    } finally {
      await capped.close();
    }
  });

  it('says in /healthz which ffmpeg runs, and not where the media folder is', async () => {
    const res = await request(origin.app).get('/healthz').expect(200);
    assert.ok(!JSON.stringify(res.body).includes(mediaDir), JSON.stringify(res.body));
    assert.ok(!JSON.stringify(res.body).includes(tmp.dir), JSON.stringify(res.body));
    assert.equal(res.body.ffmpeg.acceptsUploads, true);
    assert.match(res.body.ffmpeg.version, /^ffmpeg version /);
  });
});

describe('the upload API without a token, bounded, and with only the old ffmpeg', { timeout: 300_000 }, () => {
  let tmp: TempDir;

  before(() => {
    tmp = tempDir('edgeline-upload-limits-');
  });
  after(() => tmp?.cleanup());

  it('answers 403 to everyone when no token is configured', async () => {
    const mediaDir = join(tmp.dir, 'no-token');
    const origin = newOrigin(mediaDir, { apiToken: undefined });
    await origin.start();
    try {
      const res = await request(origin.app).post('/api/assets').set('Authorization', 'Bearer anything').attach('file', Buffer.from('x'), 'x.mp4').expect(403);
      assert.equal(res.body.error, 'ORIGIN_API_DISABLED');
      await request(origin.app).get('/api/assets').expect(403);
      assert.deepEqual(readdirSync(join(mediaDir, 'uploads')), []);
    } finally {
      await origin.close();
    }
  });

  it('answers 429 with Retry-After when the queue is full, keeping nothing of the refused upload', async () => {
    const mediaDir = join(tmp.dir, 'full');
    // Not started: its queue holds jobs without running them, so the one waiting job stays waiting.
    const origin = newOrigin(mediaDir, { maxQueuedJobs: 1 });
    for (const sub of ['hls', 'uploads', 'jobs']) mkdirSync(join(mediaDir, sub), { recursive: true });
    const clip = await makeClip({ seconds: 4, width: 320, height: 240 });
    await request(origin.app).post('/api/assets').set(AUTH).field('id', 'first').attach('file', clip).expect(202);
    const full = await request(origin.app).post('/api/assets').set(AUTH).field('id', 'second').attach('file', clip).expect(429);
    assert.equal(full.body.error, 'QUEUE_FULL');
    assert.ok(Number(full.headers['retry-after']) > 0);
    assert.equal(origin.jobs.get('second'), undefined);
    assert.equal(readdirSync(join(mediaDir, 'uploads')).length, 1, 'only the first upload is on disk');
    await origin.close();
  });

  it('fails a job over its time limit with that rule and leaves no ffmpeg running', async () => {
    const mediaDir = join(tmp.dir, 'slow');
    const origin = newOrigin(mediaDir, { jobTimeLimitMs: 1_500, packageLadder: ['480p', '360p'], packagePreset: 'veryslow' });
    await origin.start();
    try {
      const clip = await makeClip({ seconds: 30, width: 640, height: 480 });
      await request(origin.app).post('/api/assets').set(AUTH).field('id', 'slow').attach('file', clip).expect(202);
      const done = await settle(origin, 'slow');
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'PACKAGING_TIME_LIMIT', JSON.stringify(done));
      assert.match(done.error?.message ?? '', /longer than the limit of 1\.5 s/);
      assert.deepEqual(processesWhere((cmd) => /ff(mpeg|probe)/.test(cmd) && cmd.includes(mediaDir)), [], 'its ffmpeg was killed before the job failed');
      assert.equal(existsSync(join(mediaDir, 'hls', 'slow')), false);
    } finally {
      await origin.close();
    }
  });

  it('refuses uploads (503, before reading them) when only the 2018 npm ffmpeg is available, and says so in /healthz', async () => {
    const mediaDir = join(tmp.dir, 'old-ffmpeg');
    const old = resolveFfmpegPaths({ PATH: join(tmp.dir, 'no-ffmpeg-here') });
    assert.equal(old.source, 'npm');
    const origin = newOrigin(mediaDir, {}, old);
    await origin.start();
    try {
      const res = await request(origin.app).post('/api/assets').set(AUTH).field('id', 'old').attach('file', Buffer.from('x'), 'x.mp4').expect(503);
      assert.equal(res.body.error, 'FFMPEG_UNMAINTAINED');
      assert.match(res.body.message, /2018 static ffmpeg.*FFmpeg 5 or later.*`edgeline package` of your own files still works/);
      assert.deepEqual(readdirSync(join(mediaDir, 'uploads')), []);
      const health = await request(origin.app).get('/healthz').expect(200);
      assert.deepEqual({ source: health.body.ffmpeg.source, acceptsUploads: health.body.ffmpeg.acceptsUploads }, { source: 'npm', acceptsUploads: false });
    } finally {
      await origin.close();
    }
  });
});
