// The admin bearer token: required, compared in constant time, and never written to any log line, even at trace level.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { tokenMatches } from '../../server/core/bearer-token.ts';
import { createEdgeApp, type EdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';

const TOKEN = 'admin-token-that-must-never-be-logged-7f3a';

describe('admin token', () => {
  let origin: CountingOrigin;
  let edge: EdgeApp;
  const lines: string[] = [];

  before(async () => {
    origin = await startCountingOrigin();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Everything the edge logs, at the most verbose level, with no redaction: the token must simply never be handed to the logger.
    const logger = pino({ level: 'trace' }, sink);
    edge = await createEdgeApp(testEdgeConfig({ origin: [origin.url], redis: 'none', adminToken: TOKEN, accessLog: true }), { logger });
  });

  after(async () => {
    await edge.close();
    await origin.stop();
  });

  it('accepts the exact token only', async () => {
    await request(edge).post('/_edge/invalidations').send({ paths: ['/vod/x/*'] }).expect(401);
    await request(edge).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}x`).send({ paths: ['/vod/x/*'] }).expect(401);
    await request(edge).post('/_edge/invalidations').set('Authorization', `bearer ${TOKEN}`).send({ paths: ['/vod/x/*'] }).expect(401);
    // Without Redis the purge reaches this process only, which the edge says with 503 EDGE_PURGE_PARTIAL: authorized.
    const ok = await request(edge).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).send({ paths: ['/vod/x/*'] });
    assert.equal(ok.body.error, 'EDGE_PURGE_PARTIAL');
    assert.equal(tokenMatches(TOKEN, TOKEN), true);
    assert.equal(tokenMatches(TOKEN.slice(0, -1), TOKEN), false);
    assert.equal(tokenMatches('', TOKEN), false);
  });

  it('never logs it, whether sent in the header, the query or a media request', async () => {
    await request(edge).get(`/_edge/invalidations/I123?token=${TOKEN}`).set('Authorization', `Bearer ${TOKEN}`).expect(404);
    await request(edge).post('/_edge/invalidations').set('Authorization', `Bearer ${TOKEN}`).set('Content-Type', 'application/json').send('{"paths": [').expect(400);
    await request(edge).get('/vod/a/seg.ts').set('Authorization', `Bearer ${TOKEN}`).set('Cookie', `session=${TOKEN}`);
    assert.ok(lines.length >= 5, `the edge logged (${lines.length} lines)`);
    const leaked = lines.filter((l) => l.includes(TOKEN) || l.includes(TOKEN.slice(0, 20)));
    assert.deepEqual(leaked, []);
  });
});
