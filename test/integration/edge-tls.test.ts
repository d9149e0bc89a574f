// HTTPS on a real `edgeline edge` process with the self-signed pair `edgeline up --tls` makes: the certificate
// verifies for 127.0.0.1, and the viewer protocol policy redirects or refuses plain HTTP per behavior.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureSelfSignedCertificate, type CertificatePair } from '../../server/cli/self-signed.ts';
import { startCliRole, type CliRole } from '../helpers/cli-role.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { freePort } from '../helpers/ports.ts';

/** GET over HTTPS trusting only `ca` (the self-signed certificate): real verification, host name included. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('self-signed certificate for edgeline up --tls', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgeline-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is made once with a private key only its owner reads, reused, and renewed near expiry', async () => {
    const first = await ensureSelfSignedCertificate(dir);
    assert.equal(first.created, true);
    assert.equal(statSync(first.keyPath).mode & 0o777, 0o600);
    const again = await ensureSelfSignedCertificate(dir);
    assert.deepEqual({ created: again.created, fingerprint: again.fingerprint }, { created: false, fingerprint: first.fingerprint });
    const nearExpiry = await ensureSelfSignedCertificate(dir, first.validTo.getTime() - 86_400_000);
    assert.equal(nearExpiry.created, true);
    assert.notEqual(nearExpiry.fingerprint, first.fingerprint);
  });
});

describe('edgeline edge with --tls-cert and --tls-key', { timeout: 60_000 }, () => {
  let dir: string;
  let pair: CertificatePair;
  let origin: CountingOrigin;
  let edge: CliRole | undefined;
  let httpPort = 0;
  let httpsPort = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeline-tls-edge-'));
    pair = await ensureSelfSignedCertificate(dir);
    origin = await startCountingOrigin();
    origin.set('/vod/secure/240p/seg_0.ts', { body: 'over tls', headers: { 'content-type': 'video/mp2t' } });
    origin.set('/vod/open/240p/seg_0.ts', { body: 'open', headers: { 'content-type': 'video/mp2t' } });
    const behaviors = join(dir, 'behaviors.yaml');
    writeFileSync(behaviors, ['behaviors:', '  - pathPattern: /vod/secure/*', '    viewerProtocolPolicy: redirect-to-https', '  - pathPattern: /vod/strict/*', '    viewerProtocolPolicy: https-only', ''].join('\n'));
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    edge = await startCliRole(
      ['edge', '--port', String(httpPort), '--https-port', String(httpsPort), '--origin', origin.url, '--redis', 'none', '--workers', '1', '--id', 'tls-edge',
        '--tls-cert', pair.certPath, '--tls-key', pair.keyPath, '--behaviors', behaviors, '--no-player'],
      `http://127.0.0.1:${httpPort}/healthz`,
      { env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
  });

  after(async () => {
    await edge?.stop();
    await origin?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with a certificate that verifies for 127.0.0.1', async () => {
    const ca = readFileSync(pair.certPath);
    const r = await httpsGet(`https://127.0.0.1:${httpsPort}/vod/secure/240p/seg_0.ts`, ca);
    assert.deepEqual(r, { status: 200, body: 'over tls' });
    assert.equal((await httpsGet(`https://127.0.0.1:${httpsPort}/healthz`, ca)).status, 200);
  });

  it('redirects plain HTTP to the same path over HTTPS (301), or refuses it (403), per behavior', async () => {
    const moved = await fetch(`http://127.0.0.1:${httpPort}/vod/secure/240p/seg_0.ts?x=1`, { redirect: 'manual' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get('location'), `https://127.0.0.1:${httpsPort}/vod/secure/240p/seg_0.ts?x=1`);
    const refused = await fetch(`http://127.0.0.1:${httpPort}/vod/strict/240p/seg_0.ts`);
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: string }).error, 'EDGE_HTTPS_ONLY');
    const open = await fetch(`http://127.0.0.1:${httpPort}/vod/open/240p/seg_0.ts`);
    assert.equal(open.status, 200, 'allow-all (the default) serves plain HTTP');
    assert.equal(await open.text(), 'open');
  });
});
