// resolveViewer: the right-most untrusted address behind trusted proxies, and headers from anyone else ignored.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { parseTrustProxyEntry, resolveViewer, trustProxyOf } from '../../../server/core/viewer-address.ts';

function req(peer: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress: peer, encrypted }, headers: { host: 'edge.example', ...headers }, connection: { remoteAddress: peer } } as unknown as IncomingMessage;
}

describe('resolveViewer', () => {
  const trust = trustProxyOf(['10.0.0.0/8', '192.0.2.1']);

  it('without trusted proxies, the socket peer and the socket\'s TLS, whatever the headers say', () => {
    const r = req('198.51.100.7', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' });
    assert.deepEqual(resolveViewer(r, undefined), { address: '198.51.100.7', isHttps: false, host: 'edge.example' });
    assert.deepEqual(resolveViewer(r, trust), { address: '198.51.100.7', isHttps: false, host: 'edge.example' }, 'an untrusted peer is not believed');
  });

  it('walks X-Forwarded-For from the right past trusted hops', () => {
    assert.equal(resolveViewer(req('192.0.2.1', { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' }), trust).address, '203.0.113.9');
    assert.equal(resolveViewer(req('192.0.2.1', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9' }), trust).address, '203.0.113.9', 'a prepended address is not the viewer');
  });

  it('takes CloudFront-Viewer-Address from a trusted peer that sends no X-Forwarded-For', () => {
    assert.equal(resolveViewer(req('10.0.0.5', { 'cloudfront-viewer-address': '203.0.113.9:4242' }), trust).address, '203.0.113.9');
    assert.equal(resolveViewer(req('10.0.0.5', { 'cloudfront-viewer-address': '2001:db8::1:4242' }), trust).address, '2001:db8::1');
    assert.equal(resolveViewer(req('10.0.0.5', { 'cloudfront-viewer-address': 'garbage' }), trust).address, '10.0.0.5');
  });

  it('takes scheme and host from a trusted peer', () => {
    const v = resolveViewer(req('10.0.0.5', { 'x-forwarded-for': '203.0.113.9', 'cloudfront-forwarded-proto': 'https', 'x-forwarded-host': 'cdn.example.com' }), trust);
    assert.deepEqual(v, { address: '203.0.113.9', isHttps: true, host: 'cdn.example.com' });
    assert.equal(resolveViewer(req('10.0.0.5', { 'x-forwarded-host': 'bad host/' }), trust).host, 'edge.example', 'a malformed forwarded host is ignored');
  });

  it('accepts addresses and CIDRs, and names a bad entry', () => {
    assert.equal(parseTrustProxyEntry('10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(parseTrustProxyEntry('fd00::/8'), 'fd00::/8');
    for (const bad of ['10.0.0.0/33', 'router', '10.0.0.0/8/1', '']) assert.throws(() => parseTrustProxyEntry(bad), /IP address or CIDR/);
  });
});
