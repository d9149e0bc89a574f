// Reading the compared asset's playlists (RFC 8216): variants for the report, URLs for the warm-up, the purge path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { after, before } from 'node:test';
import { assetUrls, describeAsset } from '../../../../tools/compare/asset-playlists.ts';
import { startCountingOrigin, type CountingOrigin } from '../../../helpers/counting-origin.ts';
import { purgePathOf } from '../../../../tools/compare/edge-cache.ts';
import { childEnv, planStack } from '../../../../tools/compare/own-stack.ts';
import { loadConfig } from '../../../../server/core/config.ts';
import { edgeFields } from '../../../../server/edge/edge-config.ts';

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1200000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=854x480,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud"
480p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240
240p/index.m3u8
`;

const MEDIA = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.000,
seg0.m4s
#EXTINF:4.000,
seg1.m4s
#EXTINF:1.5,
seg2.m4s
#EXT-X-ENDLIST
`;

describe('asset playlists', () => {
  let origin: CountingOrigin;
  before(async () => {
    origin = await startCountingOrigin();
    origin.set('/vod/a/master.m3u8', { body: MASTER });
    for (const p of ['480p', '240p', 'audio']) origin.set(`/vod/a/${p}/index.m3u8`, { body: MEDIA });
  });
  after(() => origin.stop());

  it('describes the asset from its master and first media playlist: variants as written, target duration, length', async () => {
    const d = await describeAsset(`${origin.url}/vod/a/master.m3u8`);
    assert.deepEqual(d.variants, [
      { uri: '480p/index.m3u8', bandwidth: 1_200_000, resolution: '854x480' },
      { uri: '240p/index.m3u8', bandwidth: 400_000, resolution: '426x240' },
    ]);
    assert.equal(d.targetDurationS, 4);
    assert.equal(d.durationS, 9.5);
    assert.equal(d.segmentsPerRendition, 3);
  });

  it('lists every playlist, init segment and segment that starts before the cut-off, alternative renditions included', async () => {
    const base = `${origin.url}/vod/a`;
    const urls = await assetUrls(`${base}/master.m3u8`, 5);
    assert.deepEqual(urls, [
      `${base}/master.m3u8`,
      ...['480p', '240p', 'audio'].flatMap((p) => [`${base}/${p}/index.m3u8`, `${base}/${p}/init.mp4`, `${base}/${p}/seg0.m4s`, `${base}/${p}/seg1.m4s`]),
    ]);
  });

  it('purges the asset folder', () => {
    assert.equal(purgePathOf('/vod/sample/master.m3u8'), '/vod/sample/*');
    assert.equal(purgePathOf('/vod/a/master.m3u8?token=x'), '/vod/a/*');
  });
});

describe('own stack plan', () => {
  const base = { mediaDir: '/m', originPort: 9001, wanPort: 9003, edgePort: 9002, lastMilePort: 9004, noPrefetchEdgePort: 9005, noPrefetchLastMilePort: 9006, lastMile: { rttMs: 0, bandwidthMbps: 0 }, redisPrefix: 'p:', edgeWorkers: 1, adminToken: 'tok' };

  it('puts a WAN proxy in front of a plain origin and points the edge at the proxy, with a private prefix and an admin token', () => {
    const p = planStack({ ...base, wan: { rttMs: 150, bandwidthMbps: 20, jitterMs: 5 }, redisUrl: 'redis://r:6379' });
    assert.deepEqual(p.origin, ['origin', '--port', '9001', '--host', '127.0.0.1', '--media', '/m']);
    assert.deepEqual(p.wan, ['wan', '--port', '9003', '--target', 'http://127.0.0.1:9001', '--wan-rtt-ms', '150', '--wan-bandwidth-mbps', '20', '--wan-jitter-ms', '5']);
    assert.deepEqual(p.edge, ['edge', '--port', '9002', '--host', '127.0.0.1', '--origin', 'http://127.0.0.1:9003', '--id', 'compare-edge', '--workers', '1', '--admin-token=tok', '--redis', 'redis://r:6379', '--redis-prefix', 'p:']);
  });

  it('starts no last-mile proxy by default, and one in front of the edge when the last mile has a round trip or a bandwidth', () => {
    assert.equal(planStack({ ...base, wan: { rttMs: 150, bandwidthMbps: 20, jitterMs: 0 }, redisUrl: undefined }).lastMile, undefined);
    const p = planStack({ ...base, lastMile: { rttMs: 40, bandwidthMbps: 0 }, wan: { rttMs: 150, bandwidthMbps: 20, jitterMs: 0 }, redisUrl: undefined });
    assert.deepEqual(p.lastMile, ['wan', '--port', '9004', '--target', 'http://127.0.0.1:9002', '--wan-rtt-ms', '40', '--wan-bandwidth-mbps', '0', '--wan-jitter-ms', '0']);
  });

  it('plans a second edge with prefetch off, on its own keys under the prefix, behind its own last-mile proxy', () => {
    const p = planStack({ ...base, lastMile: { rttMs: 40, bandwidthMbps: 0 }, wan: { rttMs: 150, bandwidthMbps: 20, jitterMs: 0 }, redisUrl: 'redis://r:6379' });
    assert.deepEqual(p.noPrefetchEdge, ['edge', '--port', '9005', '--host', '127.0.0.1', '--origin', 'http://127.0.0.1:9003', '--id', 'compare-edge-no-prefetch', '--workers', '1', '--admin-token=tok', '--redis', 'redis://r:6379', '--redis-prefix', 'p:np:', '--prefetch-segments', '0']);
    assert.deepEqual(p.noPrefetchLastMile, ['wan', '--port', '9006', '--target', 'http://127.0.0.1:9005', '--wan-rtt-ms', '40', '--wan-bandwidth-mbps', '0', '--wan-jitter-ms', '0']);
    const { values } = loadConfig(edgeFields, {}, p.noPrefetchEdge.slice(1));
    assert.equal(values.prefetchSegments, 0);
    assert.equal(planStack({ ...base, wan: { rttMs: 0, bandwidthMbps: 0, jitterMs: 0 }, redisUrl: undefined }).noPrefetchLastMile, undefined);
  });

  it('hands the edge a token that starts with a dash as its admin token (one argument, not an ambiguous flag)', () => {
    const p = planStack({ ...base, adminToken: '-Xy_z', wan: { rttMs: 0, bandwidthMbps: 0, jitterMs: 0 }, redisUrl: undefined });
    const { values } = loadConfig(edgeFields, {}, p.edge.slice(1));
    assert.equal(values.adminToken, '-Xy_z');
  });

  it('runs the edge without Redis when there is none', () => {
    const p = planStack({ ...base, wan: { rttMs: 0, bandwidthMbps: 0, jitterMs: 0 }, redisUrl: undefined });
    assert.deepEqual(p.edge.slice(p.edge.indexOf('--redis'), p.edge.indexOf('--redis') + 2), ['--redis', 'none']);
  });

  it('does not hand the children settings that would change their ports, WAN or live channels', () => {
    const env = childEnv({ PORT: '1', WAN_RTT_MS: '9', LIVE_CHANNELS: 'a=b', FFMPEG_PATH: '/f', PATH: '/bin' });
    assert.deepEqual(env, { FFMPEG_PATH: '/f', PATH: '/bin', LOG_LEVEL: 'info' });
  });
});
