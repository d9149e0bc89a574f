// Origin access control: a signed request passes; unsigned, tampered, stale, future or foreign ones fail with a reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NextFunction, Request, Response } from 'express';
import {
  originAuthMiddleware,
  originSecretProblem,
  signOriginRequest,
  verifyOriginRequest,
  type OriginAuthReason,
} from '../../../server/core/origin-auth.ts';

const SECRET = 'correct horse battery staple';
const NOW = Date.UTC(2030, 0, 1);
const REQ = { method: 'GET', path: '/vod/abc/720p/seg-00001.ts?x=1', now: NOW };
const signed = signOriginRequest(SECRET, REQ);

function reason(headers: Record<string, string | string[] | undefined>, over: Partial<typeof REQ> = {}, secret: string | string[] = SECRET): OriginAuthReason | 'ok' {
  const r = verifyOriginRequest(secret, { ...REQ, headers, ...over }, 30_000);
  return r.ok ? 'ok' : r.reason;
}

describe('verifyOriginRequest', () => {
  const cases: Array<[string, OriginAuthReason | 'ok', () => OriginAuthReason | 'ok']> = [
    ['a request the edge signed', 'ok', () => reason(signed)],
    ['the same request 20 s later', 'ok', () => reason(signed, { now: NOW + 20_000 })],
    ['tampered path', 'bad-signature', () => reason(signed, { path: '/vod/abc/720p/seg-00002.ts?x=1' })],
    ['tampered query', 'bad-signature', () => reason(signed, { path: '/vod/abc/720p/seg-00001.ts?x=2' })],
    ['tampered method', 'bad-signature', () => reason(signed, { method: 'POST' })],
    ['method case does not matter', 'ok', () => reason(signed, { method: 'get' })],
    ['wrong secret', 'bad-signature', () => reason(signed, {}, 'another secret of enough length')],
    ['date moved forward with the old signature', 'bad-signature', () => reason({ ...signed, 'x-edgeline-date': String(NOW / 1000 + 60) })],
    ['stale (outside the skew)', 'stale', () => reason(signed, { now: NOW + 32_000 })],
    ['from the future (outside the skew)', 'future', () => reason(signed, { now: NOW - 31_000 })],
    ['no headers at all', 'missing', () => reason({})],
    ['no signature header', 'missing', () => reason({ 'x-edgeline-date': signed['x-edgeline-date'] })],
    ['no date header', 'missing', () => reason({ 'x-edgeline-signature': signed['x-edgeline-signature'] })],
    ['date not a number', 'malformed', () => reason({ ...signed, 'x-edgeline-date': 'yesterday' })],
    ['signature without version', 'malformed', () => reason({ ...signed, 'x-edgeline-signature': (signed['x-edgeline-signature'] ?? '').slice(3) })],
    ['signature truncated', 'malformed', () => reason({ ...signed, 'x-edgeline-signature': (signed['x-edgeline-signature'] ?? '').slice(0, -2) })],
    ['signature header sent twice', 'malformed', () => reason({ ...signed, 'x-edgeline-signature': [signed['x-edgeline-signature'] ?? '', 'v1=x'] })],
  ];
  for (const [name, expected, run] of cases) it(`${name} → ${expected}`, () => assert.equal(run(), expected));

  it('accepts any of several comma-separated secrets and signs with the first (rotation)', () => {
    const byNew = signOriginRequest('new-secret-0123456789, old-secret-0123456789', REQ);
    assert.equal(reason(byNew, {}, 'old-secret-0123456789,new-secret-0123456789'), 'ok');
    assert.equal(reason(byNew, {}, ['new-secret-0123456789']), 'ok');
    assert.equal(reason(byNew, {}, 'old-secret-0123456789'), 'bad-signature');
  });

  it('checks secrets for config', () => {
    assert.equal(originSecretProblem(SECRET), undefined);
    assert.match(originSecretProblem('short') ?? '', /16/);
    assert.match(originSecretProblem(' , ') ?? '', /at least one/);
  });
});

describe('originAuthMiddleware', () => {
  function run(path: string, headers: Record<string, string>, now = NOW): { status: number; body: unknown; passed: boolean; rejected: string[] } {
    const rejected: string[] = [];
    const mw = originAuthMiddleware({ secret: SECRET, now: () => now, onReject: (r) => rejected.push(r) });
    const out = { status: 200, body: undefined as unknown, passed: false, rejected };
    const res = {
      status(code: number) { out.status = code; return res; },
      set() { return res; },
      json(body: unknown) { out.body = body; return res; },
    };
    const req = { method: 'GET', path: path.split('?')[0], originalUrl: path, headers };
    const next: NextFunction = () => { out.passed = true; };
    mw(req as unknown as Request, res as unknown as Response, next);
    return out;
  }

  it('lets signed requests and /healthz, /metrics through; answers 403 JSON with the reason otherwise', () => {
    assert.equal(run(REQ.path, signed).passed, true);
    assert.equal(run('/healthz', {}).passed, true);
    assert.equal(run('/metrics', {}).passed, true);
    const denied = run(REQ.path, {});
    assert.equal(denied.passed, false);
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { error: 'ORIGIN_AUTH_FAILED', message: 'origin requests must be signed by an edge (missing)', reason: 'missing' });
    assert.deepEqual(denied.rejected, ['missing']);
    assert.equal(run('/vod/abc/master.m3u8', signed).status, 403, 'a signature is for one path');
    assert.equal(run(REQ.path, signed, NOW + 120_000).status, 403);
  });

  it('refuses to start with a weak secret', () => {
    assert.throws(() => originAuthMiddleware({ secret: 'short' }), /ORIGIN_SECRET/);
  });
});
