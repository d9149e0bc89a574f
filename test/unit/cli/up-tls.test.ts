// `edgeline up --tls`: each edge gets the certificate pair and its own HTTPS port; plain HTTP ports stay as they were.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planUp } from '../../../server/cli/up.ts';

const base = { edges: 2, regions: ['local'], live: false, router: true, media: 'media', redisUrl: undefined, originPort: 8080, edgePort: 8081, routerPort: 8000, edgeWorkers: 1 };
const tls = { certPath: 'media/tls/edge-cert.pem', keyPath: 'media/tls/edge-key.pem', httpsPort: 8443 };

describe('edgeline up --tls plan', () => {
  it('starts every edge with the certificate, the key and consecutive HTTPS ports', () => {
    const plan = planUp({ ...base, tls });
    assert.deepEqual(plan.edgeHttpsUrls, ['https://127.0.0.1:8443', 'https://127.0.0.1:8444']);
    assert.deepEqual(plan.edgeUrls, ['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    const edges = plan.children.filter((c) => c.name.startsWith('edge-'));
    edges.forEach((e, i) => {
      const arg = (flag: string): string | undefined => e.args[e.args.indexOf(flag) + 1];
      assert.deepEqual([arg('--tls-cert'), arg('--tls-key'), arg('--https-port')], [tls.certPath, tls.keyPath, String(8443 + i)]);
    });
  });

  it('adds no HTTPS without --tls', () => {
    const plan = planUp(base);
    assert.deepEqual(plan.edgeHttpsUrls, []);
    assert.ok(plan.children.every((c) => !c.args.includes('--tls-cert')));
  });
});
