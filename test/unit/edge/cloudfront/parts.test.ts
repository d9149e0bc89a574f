// The small parts of the CloudFront module: base64, signature parameters, wildcards, policies, key groups.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { cloudFrontBase64 } from '../../../../server/edge/cloudfront/base64.ts';
import { KeyGroup, keyGroupField } from '../../../../server/edge/cloudfront/key-group.ts';
import { ipAllowed, parsePolicy, resourceMatches, type Policy } from '../../../../server/edge/cloudfront/policy.ts';
import { splitSignatureParams, stripSignatureParams } from '../../../../server/edge/cloudfront/signature-params.ts';
import { loadConfig } from '../../../../server/core/config.ts';

describe('cloudFrontBase64', () => {
  it('round-trips with the URL-safe alphabet', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x3e]);
    const text = cloudFrontBase64.encode(bytes);
    assert.equal(text, '-~-~AD4_');
    assert.deepEqual(cloudFrontBase64.decode(text, 100), bytes);
    assert.deepEqual(cloudFrontBase64.decode('-~-~AD4', 100), bytes, 'padding is optional');
  });
  it('refuses other alphabets, misplaced padding, impossible lengths and oversize input', () => {
    for (const bad of ['', '+++/', 'AA==', 'A', 'AAAAA', 'AA_A', 'AAA__', 'AB C', '%41AA']) assert.equal(cloudFrontBase64.decode(bad, 100), undefined, bad);
    assert.equal(cloudFrontBase64.decode('AAAA', 3), undefined);
  });
});

describe('signature parameters', () => {
  it('strips them anywhere in the query and keeps the rest byte for byte', () => {
    assert.equal(stripSignatureParams('?a=1&Expires=1&b=%20x&Signature=s&Key-Pair-Id=K&Hash-Algorithm=SHA256&c'), 'a=1&b=%20x&c');
    assert.equal(stripSignatureParams('Policy=p&Signature=s&Key-Pair-Id=K'), '');
    assert.equal(stripSignatureParams('expires=1&signature=2'), 'expires=1&signature=2', 'names are case-sensitive');
    assert.equal(stripSignatureParams('%53ignature=x&a=1'), 'a=1', 'encoded names are still signature parameters');
    assert.equal(stripSignatureParams(''), '');
  });
  it('reports duplicates', () => {
    assert.match(splitSignatureParams('Signature=a&Signature=b').problem ?? '', /once/);
    assert.deepEqual(splitSignatureParams('Key-Pair-Id=K%31').params, { 'Key-Pair-Id': 'K1' });
  });
});

describe('resourceMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['https://h/vod/abc/*', 'https://h/vod/abc/720p/seg.ts?x=1', true],
    ['https://h/vod/abc/*', 'https://h/vod/abc/', true],
    ['https://h/vod/abc/*', 'https://h/vod/abc', false],
    ['https://h/vod/*/master.m3u8', 'https://h/vod/xyz/master.m3u8', true],
    ['https://h/vod/*/master.m3u8', 'https://h/vod/xyz/index.m3u8', false],
    ['https://h/seg-?.ts', 'https://h/seg-1.ts', true],
    ['https://h/seg-?.ts', 'https://h/seg-10.ts', false],
    ['http*://h/*', 'https://h/a', true],
    ['*', 'anything', true],
    ['https://h/a', 'https://h/a', true],
    ['https://h/a', 'https://h/ab', false],
    ['**a*b*', 'xxaxxbxx', true],
    ['*a*b', 'ababa', false],
  ];
  for (const [pattern, url, expected] of cases) it(`${pattern} ${expected ? 'matches' : 'does not match'} ${url}`, () => assert.equal(resourceMatches(pattern, url), expected));
  it('stays fast on a hostile pattern', () => {
    const url = `https://h/${'a'.repeat(8_000)}`;
    assert.equal(resourceMatches(`https://h/${'*a'.repeat(2_000)}b`, url), false);
  });
});

describe('parsePolicy and ipAllowed', () => {
  const policy = (cond: Record<string, unknown>): Policy => {
    const p = parsePolicy(Buffer.from(JSON.stringify({ Statement: [{ Resource: 'https://h/*', Condition: { DateLessThan: { 'AWS:EpochTime': 2e9 }, ...cond } }] })));
    assert.ok(typeof p !== 'string', String(p));
    return p;
  };
  it('reads whitespace-laden policies as CloudFront documents them', () => {
    const p = parsePolicy(Buffer.from('{\r\n "Statement": [{\r\n  "Resource": "https://h/*",\r\n  "Condition": {"DateLessThan": {"AWS:EpochTime": 2000000000}}\r\n }]\r\n}'));
    assert.deepEqual(p, { resource: 'https://h/*', dateLessThan: 2_000_000_000, dateGreaterThan: undefined, sourceIp: undefined });
  });
  it('matches IPv4 and IPv6 ranges; a bare address means exactly that address', () => {
    assert.equal(ipAllowed(policy({ IpAddress: { 'AWS:SourceIp': '10.0.0.0/8' } }), '10.2.3.4'), true);
    assert.equal(ipAllowed(policy({ IpAddress: { 'AWS:SourceIp': '10.0.0.0/8' } }), '11.2.3.4'), false);
    assert.equal(ipAllowed(policy({ IpAddress: { 'AWS:SourceIp': '10.1.1.1' } }), '10.1.1.2'), false);
    assert.equal(ipAllowed(policy({ IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } }), '2001:db8:1::5'), true);
    assert.equal(ipAllowed(policy({ IpAddress: { 'AWS:SourceIp': '2001:db8::/32' } }), '10.1.1.1'), false);
    assert.equal(ipAllowed(policy({ IpAddress: { 'AWS:SourceIp': '10.0.0.0/8' } }), 'not-an-ip'), false);
    assert.equal(ipAllowed(policy({}), undefined), true);
  });
  it('refuses hex or short IPv4 forms in a policy', () => {
    assert.equal(typeof parsePolicy(Buffer.from(JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': 1 }, IpAddress: { 'AWS:SourceIp': '0x7f.1/32' } } }] }))), 'string');
  });
});

describe('KeyGroup', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('loads keys from files, inline PEM with \\n escapes, and base64', () => {
    const files: Record<string, string> = { '/keys/a.pem': pub };
    const group = KeyGroup.load(
      ['A=/keys/a.pem', `B=${pub.replace(/\n/g, '\\n')}`, `C=base64:${Buffer.from(pub).toString('base64')}`],
      (p) => files[p] ?? (() => { throw new Error('ENOENT'); })(),
    );
    assert.deepEqual(group.ids, ['A', 'B', 'C']);
    assert.throws(() => KeyGroup.load(['A=/keys/missing.pem'], () => { throw new Error('ENOENT'); }), /cannot read/);
  });

  it('accepts a private key (its public half) and refuses weak or unsupported keys, bad ids and duplicates', () => {
    assert.equal(KeyGroup.fromPems({ P: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) }).get('P')?.type, 'public');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    assert.throws(() => KeyGroup.fromPems({ S: small }), /2048/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' });
    assert.throws(() => KeyGroup.fromPems({ E: p384 }), /P-256/);
    assert.throws(() => KeyGroup.fromPems({ 'bad id': pub }), /key pair id/);
    assert.throws(() => KeyGroup.load([`A=${pub.replace(/\n/g, '\\n')}`, `A=${pub.replace(/\n/g, '\\n')}`]), /twice/);
    assert.throws(() => KeyGroup.fromPems({ X: 'not a pem' }), /not a PEM/);
    assert.throws(() => KeyGroup.fromPems({}), /at least one/);
  });

  it('is a config field: EDGE_SIGNING_KEYS (comma-separated) or repeated --signing-key', () => {
    const inline = `K1=base64:${Buffer.from(pub).toString('base64')}`;
    const spec = { signingKeys: keyGroupField() };
    assert.deepEqual(loadConfig(spec, { EDGE_SIGNING_KEYS: `${inline},${inline.replace('K1', 'K2')}` }, []).values.signingKeys?.ids, ['K1', 'K2']);
    assert.deepEqual(loadConfig(spec, {}, ['--signing-key', inline]).values.signingKeys?.ids, ['K1']);
    assert.equal(loadConfig(spec, {}, []).values.signingKeys, undefined);
    assert.throws(() => loadConfig(spec, { EDGE_SIGNING_KEYS: 'K1=base64:AAAA' }, []), /EDGE_SIGNING_KEYS/);
  });
});
