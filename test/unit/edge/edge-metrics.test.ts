// The edge's viewer request kinds: read from the target's extension (query ignored) and counted as plain numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEdgeMetrics, viewerKindOf } from '../../../server/edge/edge-metrics.ts';

describe('edge viewer request kinds', () => {
  it('names playlists, segments and init segments as the origin does, ignoring the query', () => {
    assert.equal(viewerKindOf('/vod/a/master.m3u8'), 'master');
    assert.equal(viewerKindOf('/vod/a/master.m3u8?CMCD=ot%3Dm'), 'master');
    assert.equal(viewerKindOf('/vod/a/240p/index.m3u8'), 'media');
    assert.equal(viewerKindOf('/live/ch/240p/index.m3u8?x=master.m3u8'), 'media');
    assert.equal(viewerKindOf('/vod/a/240p/seg-00001.ts?a=.m3u8'), 'segment');
    assert.equal(viewerKindOf('/vod/a/240p/seg-00001.m4s'), 'segment');
    assert.equal(viewerKindOf('/vod/a/240p/init.mp4'), 'init');
    assert.equal(viewerKindOf('/live/c/240p/init-mf3x-2.mp4?CMCD=x'), 'init');
    assert.equal(viewerKindOf('/vod/a/240p/clip.mp4'), 'segment');
  });

  it('exports the counts as hls_edge_viewer_requests_total{kind}', async () => {
    const m = createEdgeMetrics({ processMetrics: false });
    m.countViewerRequest('segment');
    m.countViewerRequest('segment');
    m.countViewerRequest('master');
    const text = await m.registry.metrics();
    assert.match(text, /^hls_edge_viewer_requests_total\{kind="segment",role="edge"\} 2$/m);
    assert.match(text, /^hls_edge_viewer_requests_total\{kind="master",role="edge"\} 1$/m);
    assert.doesNotMatch(text, /kind="media"/);
  });
});
