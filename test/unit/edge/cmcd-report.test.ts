// CMCD on the edge: which requests are parsed, what goes to the access log, and how reports map to /metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEdgeMetrics } from '../../../server/edge/edge-metrics.ts';
import { cmcdReport, countCmcd, hasCmcd } from '../../../server/edge/cmcd-report.ts';

/** The query hls.js sends in its default (query) mode, keys sorted as it sorts them. */
const HLSJS_QUERY = `CMCD=${encodeURIComponent('bl=2100,br=562,bs,cid="/vod/a/master.m3u8",d=2000,mtp=25400,ot=av,sf=h,sid="s-123456",st=v,su,tb=1200')}`;

describe('CMCD on the edge', () => {
  it('is looked for only in the CMCD query param and the four CMCD-* headers', () => {
    assert.equal(hasCmcd(undefined, {}), false);
    assert.equal(hasCmcd('x=1&Signature=abc', { 'user-agent': 'curl' }), false);
    assert.equal(hasCmcd('XCMCD', {}), false);
    assert.equal(hasCmcd(HLSJS_QUERY, {}), true);
    assert.equal(hasCmcd(undefined, { 'cmcd-status': 'bs' }), true);
    assert.equal(hasCmcd(undefined, { 'cmcd-session': 'sid="a"' }), true);
    assert.equal(cmcdReport('a=1', { host: 'x' }), undefined);
  });

  it('maps the query form to log fields, labels and observations', () => {
    const r = cmcdReport(`a=1&${HLSJS_QUERY}`, {});
    assert.ok(r);
    assert.deepEqual(r.log, { sid: 's-123456', br: 562, bl: 2100, mtp: 25400, ot: 'av', su: true, bs: true });
    assert.equal(r.objectType, 'av');
    assert.equal(r.isStarved, true);
    assert.equal(r.isStartup, true);
    assert.equal(r.bufferLengthS, 2.1);
    assert.equal(r.throughputKbps, 25400);
    assert.equal(r.problems, 0);
  });

  it('reads the header shards, and leaves out of the log what the player did not send', () => {
    const r = cmcdReport(undefined, { 'cmcd-object': 'br=800,ot=v', 'cmcd-request': 'bl=0', 'cmcd-session': 'sid="h1",sf=h', 'x-other': 'mtp=1' });
    assert.ok(r);
    assert.deepEqual(r.log, { sid: 'h1', br: 800, bl: 0, ot: 'v' });
    assert.equal(r.isStarved, false);
    assert.equal(r.isStartup, false);
    assert.equal(r.bufferLengthS, 0);
    assert.equal(r.throughputKbps, undefined);
  });

  it('reads the query and a header shard of one request together', () => {
    const r = cmcdReport(`CMCD=${encodeURIComponent('br=800,ot=v')}`, { 'cmcd-request': 'bl=1200' });
    assert.ok(r);
    assert.deepEqual(r.log, { br: 800, bl: 1200, ot: 'v' });
    assert.equal(r.bufferLengthS, 1.2);
  });

  it('labels a report without ot as "none" and counts dropped entries', () => {
    const r = cmcdReport(`CMCD=${encodeURIComponent('bl=abc,ot=zz,sid=unquoted,mtp=900')}`, {});
    assert.ok(r);
    assert.equal(r.objectType, 'none');
    assert.deepEqual(r.log, { mtp: 900 });
    assert.equal(r.problems, 3);
  });

  it('counts reports in /metrics with low-cardinality labels only', async () => {
    const metrics = createEdgeMetrics({ processMetrics: false });
    const starved = cmcdReport(HLSJS_QUERY, {});
    const manifest = cmcdReport(undefined, { 'cmcd-object': 'ot=m', 'cmcd-session': 'sid="other-session"' });
    const bad = cmcdReport(`CMCD=${encodeURIComponent('bl=-5')}`, {});
    assert.ok(starved && manifest && bad);
    countCmcd(starved, metrics.cmcd);
    countCmcd(starved, metrics.cmcd);
    countCmcd(manifest, metrics.cmcd);
    countCmcd(bad, metrics.cmcd);
    // Without the registry's default role label, so each line reads as its CMCD labels alone.
    const text = (await metrics.registry.metrics()).replace(/,?role="edge"/g, '').replace(/\{\}/g, '');
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="av",buffer_starvation="true"\} 2$/m);
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="m",buffer_starvation="false"\} 1$/m);
    assert.match(text, /^hls_edge_cmcd_requests_total\{object_type="none",buffer_starvation="false"\} 1$/m);
    assert.match(text, /^hls_edge_cmcd_buffer_starvation_total 2$/m);
    assert.match(text, /^hls_edge_cmcd_startup_requests_total\{object_type="av"\} 2$/m);
    // bl=2100 ms lands in the 4 s bucket, not the 2 s one; the manifest request reported no buffer.
    assert.match(text, /^hls_edge_cmcd_buffer_length_seconds_bucket\{le="2"\} 0$/m);
    assert.match(text, /^hls_edge_cmcd_buffer_length_seconds_bucket\{le="4"\} 2$/m);
    assert.match(text, /^hls_edge_cmcd_buffer_length_seconds_count 2$/m);
    assert.match(text, /^hls_edge_cmcd_measured_throughput_kbps_bucket\{le="32000"\} 2$/m);
    assert.match(text, /^hls_edge_cmcd_measured_throughput_kbps_sum 50800$/m);
    assert.match(text, /^hls_edge_cmcd_invalid_total 1$/m);
    assert.ok(!text.includes('s-123456') && !text.includes('other-session'), 'session ids never become labels');
  });
});
