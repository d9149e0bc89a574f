// Viewer region: header, then query parameter, then CIDR map, then the default; bad values are ignored, not trusted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RegionResolver, parseCidrMap } from '../../../server/router/region.ts';

const resolver = new RegionResolver({
  header: 'X-Viewer-Region',
  param: 'region',
  cidrRules: parseCidrMap('10.0.0.0/8=eu,10.1.0.0/16=us,2001:db8::/32=ap'),
  defaultRegion: 'eu',
});

const ask = (opts: { header?: string; query?: string; ip?: string }) =>
  resolver.resolve({
    headers: opts.header === undefined ? {} : { 'x-viewer-region': opts.header },
    query: opts.query === undefined ? {} : { region: opts.query },
    ip: opts.ip,
  });

describe('RegionResolver', () => {
  test('a trusted header wins over everything else', () => {
    assert.deepEqual(ask({ header: 'US', query: 'ap', ip: '10.0.0.1' }), { region: 'us', source: 'header' });
  });

  test('then the query parameter', () => {
    assert.deepEqual(ask({ query: 'ap', ip: '10.0.0.1' }), { region: 'ap', source: 'query' });
  });

  test('then the CIDR map, longest prefix first, IPv4-mapped IPv6 and IPv6 included', () => {
    assert.deepEqual(ask({ ip: '10.9.9.9' }), { region: 'eu', source: 'cidr' });
    assert.deepEqual(ask({ ip: '10.1.2.3' }), { region: 'us', source: 'cidr' });
    assert.deepEqual(ask({ ip: '::ffff:10.1.2.3' }), { region: 'us', source: 'cidr' });
    assert.deepEqual(ask({ ip: '2001:db8::1' }), { region: 'ap', source: 'cidr' });
  });

  test('then the default region, or none at all', () => {
    assert.deepEqual(ask({ ip: '192.168.1.1' }), { region: 'eu', source: 'default' });
    const bare = new RegionResolver({ header: '', param: '', cidrRules: [], defaultRegion: undefined });
    assert.deepEqual(bare.resolve({ headers: { 'x-viewer-region': 'us' }, query: { region: 'us' }, ip: '10.0.0.1' }), { region: undefined, source: 'none' });
  });

  test('values that are not plain region names are ignored', () => {
    assert.deepEqual(ask({ header: 'eu/../us', query: '<script>', ip: 'not-an-ip' }), { region: 'eu', source: 'default' });
    assert.deepEqual(ask({ header: '', query: 'us' }), { region: 'us', source: 'query' });
  });
});

describe('parseCidrMap', () => {
  test('reads inline pairs, files of lines with comments, and JSON objects', () => {
    assert.deepEqual(parseCidrMap('10.0.0.0/8=EU, 192.168.0.0/16=us'), [
      { cidr: '10.0.0.0/8', region: 'eu' },
      { cidr: '192.168.0.0/16', region: 'us' },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'edgeline-cidr-'));
    try {
      const lines = join(dir, 'map.txt');
      writeFileSync(lines, '# office\n10.0.0.0/8 eu\n\n172.16.0.0/12=us # lab\n');
      assert.deepEqual(parseCidrMap(lines), [
        { cidr: '10.0.0.0/8', region: 'eu' },
        { cidr: '172.16.0.0/12', region: 'us' },
      ]);
      const json = join(dir, 'map.json');
      writeFileSync(json, JSON.stringify({ '2001:db8::/32': 'ap' }));
      assert.deepEqual(parseCidrMap(json), [{ cidr: '2001:db8::/32', region: 'ap' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('names the bad entry', () => {
    assert.throws(() => parseCidrMap('10.0.0.0/33=eu'), /"10\.0\.0\.0\/33" is not a CIDR range/);
    assert.throws(() => parseCidrMap('10.0.0.0/8 eu us'), /must be CIDR=REGION/);
    assert.throws(() => parseCidrMap('10.0.0.0/8=e u'), /region "e u"/);
    assert.throws(() => parseCidrMap('10.0.0.0/8=bad/region'), /region "bad\/region"/);
    assert.throws(() => parseCidrMap('{"10.0.0.0/8": 3}'), /must map to a region name/);
  });
});
