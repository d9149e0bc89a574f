import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { readMediaPlaylist } from '../../server/core/hls/read-playlist.ts';
import { createOriginMetrics } from '../../server/origin/origin-metrics.ts';
import { createOriginApp, type OriginApp } from '../../server/origin/origin-app.ts';
import { originConfig } from '../../server/origin/origin-config.ts';
import { tempDir, type TempDir } from './origin-fixture.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** EXT-X-MEDIA-SEQUENCE, target duration and the segment URIs of a media playlist. */
function parseMedia(text: string): { sequence: number; targetDuration: number; segments: string[] } {
  const m = readMediaPlaylist(text);
  return { sequence: m.mediaSequence, targetDuration: m.targetDuration, segments: m.segments.map((s) => s.uri) };
}

describe('origin serving a live channel', () => {
  let tmp: TempDir;
  let origin: OriginApp;
  const playlist = '/live/tiny/90p/index.m3u8';

  /** A stuck channel fails the test rather than hanging it. */
  const LIVE_WAIT = { timeoutMs: 60_000, intervalMs: 250 };

  before(async () => {
    tmp = tempDir();
    origin = createOriginApp(
      originConfig({ mediaDir: join(tmp.dir, 'media'), live: [{ name: 'tiny', source: 'sample' }], liveSegmentSeconds: 1, liveWindow: 3 }),
      {
        metrics: createOriginMetrics({ processMetrics: false }),
        liveOptions: { renditions: [{ name: '90p', width: 160, height: 90, videoKbps: 100 }], frameRate: 15, fontFile: null },
      },
    );
    await origin.start();
  });

  after(async () => {
    await origin?.close();
    tmp?.cleanup();
  });

  it('serves an advancing sliding-window playlist cached for half a target duration', async () => {
    const first = await waitFor('the first live playlist', async () => {
      const res = await request(origin.app).get(playlist);
      return res.status === 200 && parseMedia(res.text).segments.length > 0 ? res : undefined;
    }, LIVE_WAIT);
    assert.equal(first.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.doesNotMatch(first.text, /#EXT-X-ENDLIST/);
    const { sequence, targetDuration } = parseMedia(first.text);
    assert.equal(first.headers['cache-control'], `public, max-age=${Math.max(1, Math.floor(targetDuration / 2))}`);
    assert.match(first.headers['etag'] ?? '', /^"[^"]+"$/);
    const later = await waitFor('the media sequence to advance', async () => {
      const res = await request(origin.app).get(playlist).expect(200);
      const parsed = parseMedia(res.text);
      return parsed.sequence > sequence ? parsed : undefined;
    }, LIVE_WAIT);
    assert.ok(later.segments.length <= 3, 'window of 3 segments');
    const segment = later.segments[later.segments.length - 1] ?? '';
    const seg = await request(origin.app).get(`/live/tiny/90p/${segment}`).expect(200);
    assert.equal(seg.headers['content-type'], 'video/mp2t');
    assert.match(seg.headers['cache-control'] ?? '', /immutable/);
    assert.equal(seg.headers['access-control-allow-origin'], '*');
    await request(origin.app).get('/live/tiny/master.m3u8').expect(200).expect('Content-Type', 'application/vnd.apple.mpegurl');
  });

  it('answers 404 JSON for unknown channels and for segments not (or no longer) there', async () => {
    const channel = await request(origin.app).get('/live/nope/90p/index.m3u8').expect(404);
    assert.equal(channel.body.error, 'CHANNEL_NOT_FOUND');
    assert.equal(channel.headers['cache-control'], 'public, max-age=10');
    const segment = await request(origin.app).get('/live/tiny/90p/seg-does-not-exist.ts').expect(404);
    assert.equal(segment.body.error, 'NOT_FOUND');
    // Negative caching of a live channel's 404 lasts one target duration, not the VOD 10 s.
    assert.match(segment.headers['cache-control'] ?? '', /^public, max-age=[1-9]$/);
  });

  it('reports channel state in /healthz and /metrics', async () => {
    const health = await request(origin.app).get('/healthz').expect(200);
    assert.equal(health.body.live.length, 1);
    assert.equal(health.body.live[0].name, 'tiny');
    assert.equal(health.body.live[0].state, 'running');
    const metrics = await request(origin.app).get('/metrics').expect(200);
    assert.match(metrics.text, /hls_origin_live_channels\{[^}]*state="running"[^}]*\} 1/);
    assert.match(metrics.text, /hls_origin_media_bytes_total\{[^}]*source="live"/);
  });
});
