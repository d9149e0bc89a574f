// Content steering, pure parts: pathway order per asset, pathway ids, master playlist rewrite, steering manifest.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EdgeView } from '../../../server/router/edge-directory.ts';
import { RingSet, decideRoute } from '../../../server/router/route-decision.ts';
import { readMasterPlaylist } from '../../../server/core/hls/read-playlist.ts';
import {
  pathwayIdOf,
  pathwayOrder,
  pathwaysOf,
  queryName,
  rewriteMasterPlaylist,
  steeringManifest,
  type Pathway,
} from '../../../server/router/steering.ts';

function edge(n: number, region: string, opts: { healthy?: boolean; load?: number; id?: string; originReachable?: boolean } = {}): EdgeView {
  const url = `http://127.0.0.1:${8080 + n}`;
  const healthy = opts.healthy ?? true;
  return { key: url, probeUrl: url, id: opts.id ?? `edge-${n}`, url, region, sources: ['config'], status: healthy ? 'up' : 'down', healthy, originReachable: opts.originReachable, load: opts.load, lastOkAt: 0, lastCheckAt: 0, consecutiveFailures: 0, lastError: undefined };
}

function order(asset: string, region: string | undefined, edges: EdgeView[], threshold = 0): EdgeView[] {
  const rings = new RingSet(160);
  rings.rebuild(1, edges);
  const d = decideRoute({ asset, viewerRegion: region, regionSource: region ? 'query' : 'none', edges, rings, overloadThreshold: threshold });
  return pathwayOrder({ asset, viewerRegion: region, edges, rings, chosen: d.edge, overloadThreshold: threshold });
}

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-CONTENT-STEERING:SERVER-URI="https://old.example/steer",PATHWAY-ID="old"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,URI="audio/en.m3u8"',
  '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"',
  '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud",CLOSED-CAPTIONS="cc"',
  '360p/index.m3u8',
  '# a comment between the tag and its URI',
  '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180,CODECS="avc1.64000d,mp4a.40.2",AUDIO="aud",CLOSED-CAPTIONS="cc"',
  '',
  '180p/index.m3u8?v=2',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="360p/iframes.m3u8"',
  '',
].join('\r\n');

describe('content steering', () => {
  const e1 = edge(1, 'eu');
  const e2 = edge(2, 'eu');
  const pathways: Pathway[] = [
    { id: 'edge-1', edge: e1 },
    { id: 'edge-2', edge: e2 },
  ];
  const rewrite = (carryQuery: string[] = []): string =>
    rewriteMasterPlaylist({ master: readMasterPlaylist(MASTER).parsed, sourceUrl: `${e1.url}/vod/a/master.m3u8`, sourceBase: e1.url, pathways, carryQuery, steeringUri: '/steering/vod/a?region=eu' });

  test('lists every variant, I-frame playlist and audio rendition once per pathway, absolute on that pathway’s edge, with one EXT-X-CONTENT-STEERING', () => {
    // Audio groups get a copy per pathway (their URIs move); closed captions have no URI and stay shared.
    assert.equal(
      rewrite(),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-CONTENT-STEERING:SERVER-URI="/steering/vod/a?region=eu",PATHWAY-ID="edge-1"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud_edge-1",NAME="English",DEFAULT=YES,URI="http://127.0.0.1:8081/vod/a/audio/en.m3u8"',
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"',
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="aud_edge-1",CLOSED-CAPTIONS="cc",PATHWAY-ID="edge-1"',
        'http://127.0.0.1:8081/vod/a/360p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,AUDIO="aud_edge-1",CLOSED-CAPTIONS="cc",PATHWAY-ID="edge-1"',
        'http://127.0.0.1:8081/vod/a/180p/index.m3u8?v=2',
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="http://127.0.0.1:8081/vod/a/360p/iframes.m3u8",PATHWAY-ID="edge-1"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud_edge-2",NAME="English",DEFAULT=YES,URI="http://127.0.0.1:8082/vod/a/audio/en.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="aud_edge-2",CLOSED-CAPTIONS="cc",PATHWAY-ID="edge-2"',
        'http://127.0.0.1:8082/vod/a/360p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,AUDIO="aud_edge-2",CLOSED-CAPTIONS="cc",PATHWAY-ID="edge-2"',
        'http://127.0.0.1:8082/vod/a/180p/index.m3u8?v=2',
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="http://127.0.0.1:8082/vod/a/360p/iframes.m3u8",PATHWAY-ID="edge-2"',
        '',
      ].join('\n'),
    );
  });

  test('the rewrite reads back as a valid master playlist: pathways, groups and steering all resolve', () => {
    const read = readMasterPlaylist(rewrite());
    assert.deepEqual(read.variants.map((v) => [v.pathwayId, v.audioGroup, v.bandwidth]), [
      ['edge-1', 'aud_edge-1', 800000],
      ['edge-1', 'aud_edge-1', 300000],
      ['edge-2', 'aud_edge-2', 800000],
      ['edge-2', 'aud_edge-2', 300000],
    ]);
    assert.deepEqual(read.contentSteering, { serverUri: '/steering/vod/a?region=eu', pathwayId: 'edge-1' });
  });

  test('carries the viewer’s query pieces byte for byte, never over a parameter the URI already has', () => {
    const text = rewrite(['Expires=1767225600', 'Signature=Ab~c-d_e%2Bf%3D', 'v=9', 'x=%2F%20']);
    const uris = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(uris[0], 'http://127.0.0.1:8081/vod/a/360p/index.m3u8?Expires=1767225600&Signature=Ab~c-d_e%2Bf%3D&v=9&x=%2F%20');
    assert.equal(uris[1], 'http://127.0.0.1:8081/vod/a/180p/index.m3u8?v=2&Expires=1767225600&Signature=Ab~c-d_e%2Bf%3D&x=%2F%20');
    assert.equal(queryName('a+b%3D=1'), 'a b=');
  });

  test('percent-encodes a raw double quote in a carried piece, which would end a quoted URI attribute', () => {
    const text = rewrite(['t=a"b']);
    assert.ok(text.includes('URI="http://127.0.0.1:8081/vod/a/audio/en.m3u8?t=a%22b"'));
    assert.equal(readMasterPlaylist(text).variants[0]?.uri, 'http://127.0.0.1:8081/vod/a/360p/index.m3u8?t=a%22b');
  });

  test('absolute URIs on the source edge move to each pathway; foreign ones are left alone', () => {
    const text = rewriteMasterPlaylist({
      master: readMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://127.0.0.1:8081/vod/a/v/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nhttps://other.example/v.m3u8\n').parsed,
      sourceUrl: `${e1.url}/vod/a/master.m3u8`,
      sourceBase: e1.url,
      pathways,
      carryQuery: [],
      steeringUri: '/s',
    });
    const uris = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(uris, ['http://127.0.0.1:8081/vod/a/v/index.m3u8', 'https://other.example/v.m3u8', 'http://127.0.0.1:8082/vod/a/v/index.m3u8', 'https://other.example/v.m3u8']);
  });

  test('pathway ids use only the characters rfc8216bis allows, and stay unique and stable', () => {
    assert.equal(pathwayIdOf('host:8081'), 'host_8081');
    assert.equal(pathwayIdOf('edge-1.eu_x'), 'edge-1.eu_x');
    const a = edge(1, 'eu', { id: 'n:1' });
    const b = edge(2, 'eu', { id: 'n_1' });
    const forward = pathwaysOf([a, b]).map((p) => p.id);
    const backward = pathwaysOf([b, a]).map((p) => p.id);
    assert.deepEqual(forward, ['n_1', 'n_1-2']);
    assert.deepEqual(backward, ['n_1-2', 'n_1'], 'each edge keeps its id whatever the order');
  });

  test('orders pathways: chosen edge, healthy edges of the region in ring order, other regions, overloaded, then down', () => {
    const edges = [edge(1, 'eu'), edge(2, 'eu'), edge(3, 'eu'), edge(4, 'us'), edge(5, 'us')];
    for (const asset of ['a', 'b', 'c', 'sample']) {
      const o = order(asset, 'eu', edges);
      assert.deepEqual(o.slice(0, 3).map((e) => e.region), ['eu', 'eu', 'eu']);
      assert.equal(o.length, 5);
      const down = edges.map((e) => (e.id === o[0]?.id ? { ...e, healthy: false, status: 'down' as const } : e));
      const after = order(asset, 'eu', down);
      assert.equal(after[0]?.id, o[1]?.id, 'the next edge on the ring takes over');
      assert.equal(after[after.length - 1]?.id, o[0]?.id, 'the dead edge goes last, still listed for when it returns');
      const loaded = edges.map((e) => (e.id === o[1]?.id ? { ...e, load: 99 } : e));
      const spilled = order(asset, 'eu', loaded, 50);
      assert.equal(spilled[spilled.length - 1]?.id, o[1]?.id, 'an overloaded edge comes after every healthy one with room');
    }
    const unknownRegion = order('a', undefined, edges);
    assert.equal(unknownRegion.length, 5);
  });

  test('the steering manifest has the rfc8216bis keys and a whole-second TTL of at least 1', () => {
    assert.deepEqual(steeringManifest(4.6, '/steering/vod/a', ['x', 'y']), { VERSION: 1, TTL: 5, 'RELOAD-URI': '/steering/vod/a', 'PATHWAY-PRIORITY': ['x', 'y'] });
    assert.equal(steeringManifest(0.2, '/s', []).TTL, 1);
  });
});
