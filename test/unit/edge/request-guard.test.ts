// The viewer request guard: only plain media paths, no bodies on GET, no routing-override headers, sane Host.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardViewerRequest } from '../../../server/edge/request-guard.ts';

const ok = (url: string, headers = {}) => guardViewerRequest(url, headers);

describe('request guard', () => {
  it('accepts media paths and splits the query', () => {
    assert.deepEqual(ok('/vod/sample/720p/seg_00001.ts?CMCD=x'), { ok: true, path: '/vod/sample/720p/seg_00001.ts', query: 'CMCD=x' });
    assert.deepEqual(ok('/live/ch-1/master.m3u8'), { ok: true, path: '/live/ch-1/master.m3u8', query: undefined });
  });

  it('refuses traversal, encodings, empty and hidden segments', () => {
    for (const url of ['/vod/../x', '/vod/%2e%2e/x', '/vod/a/%2Fx', '/vod//a', '/vod/a/.x', '/vod/a/x.ts%00', '/vod/a\\b', '/vod/', '/vod', '/vodx/a', '/vod/a;b']) {
      const r = ok(url);
      assert.equal(r.ok, false, url);
    }
  });

  it('refuses bodies, override headers and odd Host values', () => {
    assert.equal(ok('/vod/a/x.ts', { 'content-length': '3' }).ok, false);
    assert.equal(ok('/vod/a/x.ts', { 'content-length': '0' }).ok, true);
    assert.equal(ok('/vod/a/x.ts', { 'transfer-encoding': 'chunked' }).ok, false);
    assert.equal(ok('/vod/a/x.ts', { 'x-original-url': '/vod/b' }).ok, false);
    assert.equal(ok('/vod/a/x.ts', { host: 'a.example/<x>' }).ok, false);
    assert.equal(ok('/vod/a/x.ts', { host: 'edge.example:8081' }).ok, true);
    assert.equal(ok('/vod/a/x.ts', { host: '[::1]:8081' }).ok, true);
  });
});
