// `edgeline sign` run as a real process: the URLs and cookies it prints pass our verifier; a changed byte does not.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseTime } from '../../server/cli/sign.ts';
import { KeyGroup } from '../../server/edge/cloudfront/key-group.ts';
import { verifyViewerRequest, type ViewerRequest } from '../../server/edge/cloudfront/verifier.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeline-sign-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const RSA_KEY = join(dir, 'rsa.pem');
const EC_KEY = join(dir, 'ec.pem');
writeFileSync(RSA_KEY, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(EC_KEY, ec.privateKey.export({ type: 'sec1', format: 'pem' }));
const group = KeyGroup.fromPems({
  KRSA: rsa.publicKey.export({ type: 'spki', format: 'pem' }),
  KEC: ec.publicKey.export({ type: 'spki', format: 'pem' }),
});
const BIN = join(import.meta.dirname, '../../bin/edgeline.js');
const BASE = 'https://cdn.example.com';

function sign(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'sign', ...args], { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
function verdict(req: Omit<ViewerRequest, 'now'>): string {
  const r = verifyViewerRequest({ now: Date.now(), clientIp: '127.0.0.1', ...req }, group);
  return r.ok ? 'ok' : r.reason;
}

describe('edgeline sign', () => {
  it('prints a canned-policy URL that verifies, and fails once one byte changes', async () => {
    const { code, stdout, stderr } = await sign([`${BASE}/vod/abc/720p/seg-00001.ts`, '--key', RSA_KEY, '--key-pair-id', 'KRSA', '--expires', '+1h']);
    assert.equal(code, 0, stderr);
    const url = stdout.trim();
    assert.match(url, /^https:\/\/cdn\.example\.com\/vod\/abc\/720p\/seg-00001\.ts\?Expires=\d+&Key-Pair-Id=KRSA&Signature=[A-Za-z0-9~_-]+$/);
    assert.equal(verdict({ url }), 'ok');
    assert.equal(verdict({ url: url.replace('seg-00001', 'seg-00002') }), 'bad-signature');
  });

  it('signs with ECDSA and SHA-256, a wildcard resource and an IP condition, key settings from the environment', async () => {
    const { code, stdout, stderr } = await sign(
      [`${BASE}/vod/abc/master.m3u8`, '--resource', `${BASE}/vod/abc/*`, '--ip', '127.0.0.0/8', '--expires', new Date(Date.now() + 600_000).toISOString(), '--hash', 'sha256'],
      { CLOUDFRONT_PRIVATE_KEY_FILE: EC_KEY, CLOUDFRONT_KEY_PAIR_ID: 'KEC' },
    );
    assert.equal(code, 0, stderr);
    const url = stdout.trim();
    assert.match(url, /[?&]Policy=.*&Hash-Algorithm=SHA256$/);
    assert.equal(verdict({ url }), 'ok');
    assert.equal(verdict({ url: url.replace('master.m3u8', '720p/index.m3u8') }), 'ok');
    assert.equal(verdict({ url, clientIp: '192.0.2.1' }), 'ip-not-allowed');
  });

  it('prints signed cookies and Set-Cookie lines for a policy file; the cookies open the whole asset', async () => {
    const policyFile = join(dir, 'policy.json');
    const policy = { Statement: [{ Resource: `${BASE}/vod/abc/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } } }] };
    writeFileSync(policyFile, JSON.stringify(policy, null, 2));
    const { code, stdout, stderr } = await sign(['--cookies', '--policy', policyFile, '--key', RSA_KEY, '--key-pair-id', 'KRSA', '--cookie-path', '/vod/abc/']);
    assert.equal(code, 0, stderr);
    const [values = '', headers = ''] = stdout.trim().split('\n\n');
    const pairs = values.split('\n');
    assert.deepEqual(pairs.map((p) => p.split('=')[0]).sort(), ['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    const setCookies = headers.split('\n');
    assert.equal(setCookies.length, 3);
    for (const line of setCookies) assert.match(line, /^Set-Cookie: CloudFront-[A-Za-z-]+=[^;]+; Path=\/vod\/abc\/; Expires=[^;]+ GMT; Secure; HttpOnly; SameSite=Lax$/);
    const cookies = pairs.join('; ');
    assert.equal(verdict({ url: `${BASE}/vod/abc/master.m3u8`, cookies }), 'ok');
    assert.equal(verdict({ url: `${BASE}/vod/abc/720p/seg-00009.ts`, cookies }), 'ok');
    assert.equal(verdict({ url: `${BASE}/vod/xyz/master.m3u8`, cookies }), 'bad-signature');
    // The Set-Cookie values are the same cookies.
    const fromHeaders = setCookies.map((l) => l.slice('Set-Cookie: '.length).split(';')[0]).join('; ');
    assert.equal(verdict({ url: `${BASE}/vod/abc/init.mp4`, cookies: fromHeaders }), 'ok');
  });

  it('explains itself with --help and lists every problem with its flags together', async () => {
    const help = await sign(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: edgeline sign <url>/);
    assert.match(help.stdout, /--key-pair-id/);
    const bad = await sign([`${BASE}/x.ts`, '--expires', 'someday'], { CLOUDFRONT_PRIVATE_KEY_FILE: '', CLOUDFRONT_KEY_PAIR_ID: '' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^invalid configuration:/);
    assert.match(bad.stderr, /CLOUDFRONT_PRIVATE_KEY_FILE \(--key\): required/);
    assert.match(bad.stderr, /--expires: expected an ISO date/);
  });

  it('reads times as ISO dates, epoch seconds or +durations', () => {
    const now = Date.UTC(2030, 0, 1);
    assert.equal(parseTime('+1h', now), now / 1000 + 3600);
    assert.equal(parseTime('+7d', now), now / 1000 + 7 * 86_400);
    assert.equal(parseTime('+90s', now), now / 1000 + 90);
    assert.equal(parseTime('1893456000', now), 1_893_456_000);
    assert.equal(parseTime('2030-01-02T00:00:00Z', now), now / 1000 + 86_400);
    assert.throws(() => parseTime('+soon', now), /duration/);
    assert.throws(() => parseTime('next week', now), /ISO date/);
  });
});
