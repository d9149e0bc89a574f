// CMCD (CTA-5004) parsing: query form, header shards, types, bounds, and the cache-key helper.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cmcdQueryParam, parseCmcd, parseCmcdString, withoutCmcdParam } from '../../../server/edge/cmcd.ts';

describe('parseCmcd', () => {
  it('parses what hls.js sends in query mode', () => {
    const raw = 'bl=1000,br=560,cid="/vod/clip/master.m3u8",d=1000,dl=1000,mtp=13900,nor="seg2.ts",rtp=2800,sf=h,sid="9fa2735c",st=v,su,tb=560';
    const p = parseCmcdString(raw);
    assert.deepEqual(p.data, { bl: 1000, br: 560, cid: '/vod/clip/master.m3u8', d: 1000, dl: 1000, mtp: 13900, nor: 'seg2.ts', rtp: 2800, sf: 'h', sid: '9fa2735c', st: 'v', su: true, tb: 560 });
    assert.deepEqual(p.problems, []);
    assert.equal(p.source, 'query');
  });

  it('reads the CMCD param from a URL-encoded query string', () => {
    const q = `a=1&CMCD=${encodeURIComponent('br=3200,ot=v,sid="x,y"')}`;
    const p = parseCmcdString(cmcdQueryParam(`?${q}`) ?? '');
    assert.deepEqual(p.data, { br: 3200, ot: 'v', sid: 'x,y' });
    assert.equal(cmcdQueryParam('a=1'), null);
  });

  it('decodes the CMCD param as URLSearchParams does: "+" is a space, percent-escapes, raw text as is', () => {
    for (const value of ['sid="a b",ot=v', 'sid="a+b",ot=v', 'sid="50%",ot=v', 'sid="x,y"', 'ot=v']) {
      for (const encoded of [encodeURIComponent(value), value.replace(/ /g, '+'), value.replace(/"/g, '%22')]) {
        const q = `a=1&CMCD=${encoded}&b=2`;
        assert.equal(cmcdQueryParam(q), new URLSearchParams(q).get('CMCD'), q);
      }
    }
  });

  it('merges the four header shards and ignores other headers', () => {
    const p = parseCmcd({
      headers: { 'cmcd-object': 'br=800,d=4000,ot=av', 'cmcd-request': 'bl=2100,mtp=25400', 'CMCD-Session': 'sid="s1",st=l,pr=1.25', 'cmcd-status': 'bs', 'x-other': 'br=1' },
    });
    assert.deepEqual(p.data, { br: 800, d: 4000, ot: 'av', bl: 2100, mtp: 25400, sid: 's1', st: 'l', pr: 1.25, bs: true });
    assert.equal(p.source, 'headers');
    assert.equal(parseCmcd({}).source, 'none');
    assert.equal(parseCmcd({ query: 'br=1', headers: { 'cmcd-object': 'd=2' } }).source, 'both');
  });

  it('drops values of the wrong type and names the key and the rule', () => {
    const p = parseCmcdString('br="fast",ot=zz,su=7,sid=token,bl=-5,d=1.5');
    assert.deepEqual(p.data, {});
    assert.equal(p.problems.length, 6);
    assert.ok(p.problems.some((x) => x.startsWith('ot: expected one of')));
    assert.ok(p.problems.some((x) => x.startsWith('br: expected a non-negative integer')));
  });

  it('keeps custom and later-version keys apart, and handles escapes and explicit booleans', () => {
    const p = parseCmcdString('com.example-rtt=120,ltc=300,sid="a\\"b",bs=?0,su=?1');
    assert.deepEqual(p.other, { 'com.example-rtt': 120, ltc: 300 });
    assert.deepEqual(p.data, { sid: 'a"b', bs: false, su: true });
  });

  it('reads quoted strings whole (commas, semicolons, escapes inside), ignores parameters, and skips empty entries', () => {
    const p = parseCmcdString(' sid = "a;b,c" ;p=1,,cid="x\\\\y";q="r,s",br=800;k=v , ot = v ,');
    assert.deepEqual(p.data, { sid: 'a;b,c', cid: 'x\\y', br: 800, ot: 'v' });
    assert.deepEqual(p.problems, []);
    const bad = parseCmcdString('sid="ab"cd,nor="open,br=5,tb=');
    assert.deepEqual(bad.data, {}, 'text after a closing quote, an unterminated string (it runs to the end), an empty value');
    assert.deepEqual(bad.problems, ['sid: unparsable value', 'nor: unparsable value']);
    assert.deepEqual(parseCmcdString('"quoted",su').problems, ['""quoted"": not a CMCD key']);
    assert.deepEqual(parseCmcdString('"quoted",su').data, { su: true });
  });

  it('reads only the keys asked for, and does not judge the others', () => {
    const p = parseCmcd({ query: 'br=oops,sid="s",xx=(1 2),bl=300', only: new Set(['sid', 'bl']) });
    assert.deepEqual(p.data, { sid: 's', bl: 300 });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(parseCmcdString('v2key=(1 2 3)').other, { v2key: '(1 2 3)' });
    const judged = parseCmcd({ query: 'bl=1.5,mtp=-3,sid=tok,ot=v,br=0012,su,bs=?0,tb=1234567890123456', only: new Set(['bl', 'mtp', 'sid', 'ot', 'br', 'su', 'bs', 'tb']) });
    assert.deepEqual(judged.data, { ot: 'v', br: 12, su: true, bs: false });
    assert.deepEqual(judged.problems, ['bl: expected a non-negative integer', 'mtp: expected a non-negative integer', 'sid: expected a quoted string', 'tb: unparsable value']);
  });

  it('bounds work on hostile input', () => {
    assert.equal(parseCmcdString('a'.repeat(5000)).problems.length, 1);
    const many = Array.from({ length: 100 }, (_, i) => `k${i}-x=1`).join(',');
    const p = parseCmcdString(many);
    assert.equal(Object.keys(p.other).length, 64);
    assert.ok(p.problems.some((x) => x.includes('more than 64')));
    assert.ok(parseCmcdString('sid="' + 'x'.repeat(65) + '"').problems[0]?.startsWith('sid:'));
    assert.deepEqual(parseCmcdString('Bad Key=1,=2,,').data, {});
  });
});

describe('withoutCmcdParam', () => {
  it('removes only the CMCD param, so cache keys stay the same for every session', () => {
    assert.equal(withoutCmcdParam('/vod/a/720p/seg1.ts?CMCD=br%3D1'), '/vod/a/720p/seg1.ts');
    assert.equal(withoutCmcdParam('/s.ts?Policy=x&CMCD=br%3D1&Signature=y'), '/s.ts?Policy=x&Signature=y');
    assert.equal(withoutCmcdParam('/s.ts?XCMCD=1'), '/s.ts?XCMCD=1');
    assert.equal(withoutCmcdParam('/s.ts'), '/s.ts');
  });
});
