// The access log's hand-built line says what pino would write for the same record: same members, same values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { accessLine, accessLogTo, bindingsJson, type AccessRecord } from '../../../server/edge/access-log.ts';

const BINDINGS = { pid: 4242, role: 'edge', edgeId: 'edge-"a"\\1' };

/** The line pino writes for `r` with the same bindings, parsed. */
function viaPino(r: AccessRecord): Record<string, unknown> {
  let line = '';
  const log = pino({ level: 'info', base: BINDINGS }, { write: (s: string) => void (line = s) });
  log.info(r, 'request');
  return JSON.parse(line) as Record<string, unknown>;
}

function viaAccessLine(r: AccessRecord, timeMs: number): Record<string, unknown> {
  const line = accessLine(r, timeMs, bindingsJson(BINDINGS));
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), `one line: ${line}`);
  return JSON.parse(line) as Record<string, unknown>;
}

const RECORDS: Record<string, AccessRecord> = {
  'a hit with CMCD': { method: 'GET', key: '/vod/a/r/index.m3u8', status: 200, outcome: 'hit', tier: 'memory', bytes: 548, ms: 0.1, cmcd: { sid: '6e2fb550-c457-11e9-bb97-0800200c9a66', br: 1178, bl: 21300, mtp: 25400, ot: 'v', su: true, bs: false } },
  'a miss without CMCD': { method: 'HEAD', key: '/vod/a/r/seg-1.ts', status: 200, outcome: 'miss', tier: 'origin', bytes: 0, ms: 212.4, cmcd: undefined },
  'a rejected request': { status: 400, reason: 'url-too-long', outcome: 'rejected' },
  'a bypass': { method: 'POST', path: '/api/x', status: 201, outcome: 'bypass', bytes: 17 },
  'an empty CMCD report': { method: 'GET', key: '/k', status: 200, outcome: 'hit', cmcd: {} },
  'strings that need escapes': { method: 'GET', key: '/a"b\\c\u0001\n\t/é/😀', status: 404, outcome: 'negative-hit', cmcd: { sid: 'lone \ud800 "surrogate"' } },
  'numbers that are not finite': { method: 'GET', key: '/k', status: 200, outcome: 'hit', bytes: Number.NaN, ms: Number.POSITIVE_INFINITY },
};

describe('access log line', () => {
  for (const [name, r] of Object.entries(RECORDS)) {
    it(`says what pino says: ${name}`, () => {
      const expected = viaPino(r);
      assert.equal(typeof expected['time'], 'number');
      assert.deepEqual(viaAccessLine(r, expected['time'] as number), expected);
    });
  }

  it('writes each line to the destination with the time of the request', () => {
    const lines: string[] = [];
    const before = Date.now();
    const log = accessLogTo({ write: (s: string) => lines.push(s) }, BINDINGS);
    log.request({ method: 'GET', key: '/k', status: 200, outcome: 'hit' });
    log.request({ status: 429, reason: 'rate', outcome: 'rejected' });
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.ok((first['time'] as number) >= before && (first['time'] as number) <= Date.now());
    assert.deepEqual({ ...first, time: 0 }, { level: 30, time: 0, pid: 4242, role: 'edge', edgeId: 'edge-"a"\\1', method: 'GET', key: '/k', status: 200, outcome: 'hit', msg: 'request' });
    assert.equal((JSON.parse(lines[1] ?? '') as Record<string, unknown>)['reason'], 'rate');
  });
});
