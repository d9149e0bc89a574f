import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMediaPath } from '../../../../server/origin/serving/media-path.ts';

describe('parseMediaPath', () => {
  it('accepts the playlist and segment shapes with their content types', () => {
    const cases: Array<[string, string, string]> = [
      ['/vod/sample/master.m3u8', 'master', 'application/vnd.apple.mpegurl'],
      ['/vod/sample/720p/index.m3u8', 'media', 'application/vnd.apple.mpegurl'],
      ['/vod/sample/720p/seg-00001.ts', 'segment', 'video/mp2t'],
      ['/vod/sample/720p/seg-00001.m4s', 'segment', 'video/iso.segment'],
      ['/vod/sample/720p/init.mp4', 'init', 'video/mp4'],
      ['/vod/sample/audio/seg-1.aac', 'segment', 'audio/aac'],
      ['/vod/sample/subs/cue-1.vtt', 'segment', 'text/vtt; charset=utf-8'],
      ['/live/demo/240p/seg-000042.ts', 'segment', 'video/mp2t'],
    ];
    for (const [path, kind, type] of cases) {
      const r = parseMediaPath(path);
      assert.ok(r.ok, `${path} should be accepted`);
      assert.equal(r.path.kind, kind, path);
      assert.equal(r.path.contentType, type, path);
    }
  });

  it('splits scope, name, rendition and file', () => {
    const r = parseMediaPath('/live/demo/240p/index.m3u8');
    assert.ok(r.ok);
    assert.deepEqual({ ...r.path }, {
      scope: 'live', name: 'demo', rendition: '240p', file: 'index.m3u8', kind: 'media',
      contentType: 'application/vnd.apple.mpegurl', parts: ['240p', 'index.m3u8'],
    });
  });

  it('refuses encodings, dot segments and odd characters with 400 before any decoding', () => {
    for (const path of [
      '/vod/a/../../etc/passwd', '/vod/a/%2e%2e/%2e%2e/etc/passwd', '/vod/a/..%2f..%2fetc', '/vod/a/%252e%252e/x.ts',
      '/vod/a/..\\..\\etc\\passwd', '/vod/a/seg.ts%00.m3u8', '/vod/a/%c0%ae%c0%ae/x.ts', '/vod//etc/passwd',
      '/vod/.tmp-a-1/master.m3u8', '/vod/a/./master.m3u8', '/vod/a/ü.ts', '/vod/a/seg 1.ts',
    ]) {
      const r = parseMediaPath(path);
      assert.equal(r.ok, false, path);
      if (!r.ok) assert.equal(r.status, 400, path);
    }
  });

  it('answers 404 for shapes and extensions that are never served', () => {
    for (const path of [
      '/vod/a/seg.ts', '/vod/a/r/secret.json', '/vod/a/r/x.mp4.bak', '/vod/a/r/s/t/u.ts', '/vod/a', '/vod/UPPER/master.m3u8',
      '/other/a/master.m3u8', '/vod/a/r/index', '/vod/a/-r/index.m3u8',
    ]) {
      const r = parseMediaPath(path);
      assert.equal(r.ok, false, path);
      if (!r.ok) assert.equal(r.status, 404, path);
    }
  });
});
