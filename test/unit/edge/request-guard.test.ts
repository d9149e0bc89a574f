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
    for (const url of ['/vod/../x', '/vod/%2e%2e/x', '/vod/a/%2Fx', '/vod//a', '/vod/a/.x', '/vod/a/x.ts%00', '/vod/a\\b', '/vod/', '/vod', '/vod/a;b']) {
      const r = ok(url);
      assert.equal(r.ok, false, url);
    }
  });

  it('other paths (a behavior may claim them): RFC 3986 characters, no dot segments nor encoded separators', () => {
    for (const url of ['/vodx/a', '/test/8c1e-4f', '/a%20b/c.d', '/x/y;z=1', '/']) assert.equal(ok(url).ok, true, url);
    for (const url of ['/a/../b', '/a/./b', '/a/..', '/%2e%2e/x', '/a%2Fb', '/a%5cb', '/a%00', '/a\\b', '/a b', '/a%zz']) assert.equal(ok(url).ok, false, url);
  });

  it('refuses bodies on GET and HEAD only', () => {
    assert.equal(guardViewerRequest('/api/x', { 'content-length': '3' }, [], 'POST').ok, true);
    assert.equal(guardViewerRequest('/api/x', { 'content-length': '3' }, [], 'GET').ok, false);
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
