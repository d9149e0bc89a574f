// CORS on the edge: any page without credentials by default; with --cors-origin, listed pages only, with credentials.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';

const SEG = '/vod/a/240p/seg_0.ts';

describe('edge CORS', () => {
  let origin: CountingOrigin;
  let open: EdgeApp;
  let listed: EdgeApp;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set(SEG, { body: 'segment', headers: { 'content-type': 'video/mp2t' } });
    open = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', id: 'cors-open' }));
    listed = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', id: 'cors-listed', corsOrigins: ['https://www.example.com', 'http://127.0.0.1:8080'] }));
  });

  after(async () => {
    await open.close();
    await listed.close();
    await origin.stop();
  });

  it('lets any page read media, never with credentials, by default', async () => {
    const r = await request(open).get(SEG).set('Origin', 'https://anywhere.example').expect(200);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
    assert.match(String(r.headers['access-control-expose-headers']), /X-Cache/);
    const pre = await request(open).options(SEG).set('Origin', 'https://anywhere.example').set('Access-Control-Request-Method', 'GET').set('Access-Control-Request-Headers', 'range').expect(204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.equal(pre.headers['access-control-allow-headers'], 'range');
  });

  it('with --cors-origin, answers listed pages with credentials (miss, hit and refusal alike) and unlisted pages with nothing', async () => {
    for (const expected of ['MISS', 'HIT']) {
      const r = await request(listed).get(SEG).set('Origin', 'https://www.example.com').expect(200);
      assert.equal(r.headers['x-cache'], expected);
      assert.equal(r.headers['access-control-allow-origin'], 'https://www.example.com');
      assert.equal(r.headers['access-control-allow-credentials'], 'true');
      assert.equal(r.headers['vary'], 'Origin');
    }
    const other = await request(listed).get(SEG).set('Origin', 'https://evil.example').expect(200);
    assert.equal(other.headers['access-control-allow-origin'], undefined, 'an unlisted page cannot read the response');
    assert.equal(other.headers['vary'], 'Origin');
    const refused = await request(listed).get('/vod/a/../x.ts').set('Origin', 'http://127.0.0.1:8080').expect(400);
    assert.equal(refused.headers['access-control-allow-origin'], 'http://127.0.0.1:8080', 'a listed page can read why it was refused');

    const pre = await request(listed).options(SEG).set('Origin', 'https://www.example.com').set('Access-Control-Request-Method', 'GET').expect(204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://www.example.com');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.equal(pre.headers['vary'], 'Origin, Access-Control-Request-Headers');
    const badPre = await request(listed).options(SEG).set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET').expect(204);
    assert.equal(badPre.headers['access-control-allow-origin'], undefined);
  });

  it('refuses a --cors-origin that is not a bare page origin', async () => {
    const { loadConfig } = await import('../../server/core/config.ts');
    const { edgeFields } = await import('../../server/edge/edge-config.ts');
    assert.throws(() => loadConfig(edgeFields, {}, ['--origin', origin.url, '--cors-origin', 'https://www.example.com/player/']), /page origin/);
    assert.deepEqual(loadConfig(edgeFields, {}, ['--origin', origin.url, '--cors-origin', 'HTTPS://WWW.Example.com/']).values.corsOrigins, ['https://www.example.com']);
  });
});
