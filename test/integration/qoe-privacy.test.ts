// GET /qoe/sessions on every role: the role's admin token or nothing (origin as the CLI runs it, edge and router by factory).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { defaultsOf } from '../../server/core/config.ts';
import { createEdgeApp } from '../../server/edge/edge-app.ts';
import { testEdgeConfig } from '../../server/edge/edge-config.ts';
import { createRouterApp } from '../../server/router/router-app.ts';
import { routerFields } from '../../server/router/router-config.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { freePort } from '../helpers/ports.ts';

const BIN = new URL('../../bin/edgeline.js', import.meta.url).pathname;
const TOKEN = 'qoe-admin-token-0123456789';

describe('QoE sessions on every role', () => {
  const children: ChildProcess[] = [];
  let media: string;

  before(() => {
    media = mkdtempSync(join(tmpdir(), 'edgeline-qoe-privacy-'));
  });
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(media, { recursive: true, force: true });
  });

  /** The origin as `edgeline origin` runs it (the QoE routes are mounted by the CLI). */
  async function origin(token: string | undefined): Promise<string> {
    const port = await freePort();
    const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'silent', ORIGIN_API_TOKEN: token };
    if (token === undefined) delete env['ORIGIN_API_TOKEN'];
    const child = spawn(process.execPath, [BIN, 'origin', '--port', String(port), '--media', media], { env, stdio: 'ignore' });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the origin to answer', async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true, { timeoutMs: 30_000 });
    return url;
  }

  it('origin: 403 without ORIGIN_API_TOKEN, 401 without the bearer, 200 with it', async () => {
    const closed = await origin(undefined);
    assert.equal((await fetch(`${closed}/qoe/sessions`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 403);
    const open = await origin(TOKEN);
    assert.equal((await fetch(`${open}/qoe/sessions`)).status, 401);
    assert.equal((await fetch(`${open}/qoe/sessions/sess-12345678`)).status, 401);
    assert.equal((await fetch(`${open}/qoe/sessions`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  it('edge: 403 without EDGE_ADMIN_TOKEN, 401 without the bearer, 200 with it', async () => {
    for (const [adminToken, anonymous] of [[undefined, 403], [TOKEN, 401]] as const) {
      const edge = await createEdgeApp(testEdgeConfig({ origin: ['http://127.0.0.1:9'], redis: 'none', adminToken }));
      try {
        await request(edge).get('/qoe/sessions').expect(anonymous);
        await request(edge).get('/qoe/sessions/sess-12345678').expect(anonymous);
        if (adminToken) await request(edge).get('/qoe/sessions').set('Authorization', `Bearer ${adminToken}`).expect(200);
      } finally {
        await edge.close();
      }
    }
  });

  it('router: 403 without ROUTER_ADMIN_TOKEN, 401 without the bearer, 200 with it', async () => {
    for (const [adminToken, anonymous] of [[undefined, 403], [TOKEN, 401]] as const) {
      const router = createRouterApp(defaultsOf(routerFields, { edges: [{ url: 'http://127.0.0.1:9', region: undefined }], adminToken }), { processMetrics: false });
      try {
        await request(router.app).get('/qoe/sessions').expect(anonymous);
        await request(router.app).get('/qoe/sessions/sess-12345678').expect(anonymous);
        if (adminToken) await request(router.app).get('/qoe/sessions').set('Authorization', `Bearer ${adminToken}`).expect(200);
      } finally {
        await router.close();
      }
    }
  });
});
