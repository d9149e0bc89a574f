import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planUp, upTokens } from '../../../server/cli/up.ts';

const base = { edges: 2, regions: ['local'], live: true, router: true, media: 'media', redisUrl: 'redis://127.0.0.1:6379', originPort: 8080, edgePort: 8081, routerPort: 8000, edgeWorkers: 1 };

describe('edgeline up plan', () => {
  it('starts an origin with the live channel, two edges sharing Redis, and a router that knows them', () => {
    const plan = planUp(base);
    assert.deepEqual(plan.children.map((c) => c.name), ['origin', 'edge-1', 'edge-2', 'router']);
    assert.ok(plan.children[0]?.args.includes('live=sample'));
    assert.deepEqual(plan.edgeUrls, ['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    for (const edge of plan.children.slice(1, 3)) {
      assert.ok(edge.args.includes('--redis'), 'edges share the Redis tier');
      assert.equal(edge.args[edge.args.indexOf('--origin') + 1], 'http://127.0.0.1:8080');
    }
    const router = plan.children[3];
    assert.deepEqual(router?.args.filter((_, i, a) => a[i - 1] === '--edge'), ['http://127.0.0.1:8081#local', 'http://127.0.0.1:8082#local']);
  });

  it('assigns regions to edges in turn', () => {
    const plan = planUp({ ...base, edges: 3, regions: ['eu', 'us'] });
    const regions = plan.children.filter((c) => c.name.startsWith('edge-')).map((c) => c.args[c.args.indexOf('--region') + 1]);
    assert.deepEqual(regions, ['eu', 'us', 'eu']);
  });

  it('runs edges on the memory tier alone when Redis does not answer', () => {
    const plan = planUp({ ...base, redisUrl: undefined });
    for (const c of plan.children.filter((c) => c.name.startsWith('edge-'))) {
      // Not left to the edge's default Redis, which may well answer when the one up was given does not.
      assert.equal(c.args[c.args.indexOf('--redis') + 1], 'none', `${c.name} runs on its memory tier alone`);
    }
    assert.ok(!plan.children.find((c) => c.name === 'router')?.args.includes('--redis'), 'the router gets no registry');
  });

  it('leaves out the live channel and the router when asked', () => {
    const plan = planUp({ ...base, live: false, router: false });
    assert.equal(plan.routerUrl, undefined);
    assert.ok(!plan.children.some((c) => c.name === 'router'));
    assert.ok(!plan.children[0]?.args.includes('--live'));
  });

  it('gives each role its token through the environment, never on the command line', () => {
    const tokens = upTokens({ apiToken: undefined, edgeAdminToken: 'given-edge-token', routerAdminToken: undefined });
    assert.equal(tokens.edgeAdmin, 'given-edge-token');
    assert.match(tokens.originApi, /^[A-Za-z0-9_-]{32}$/);
    assert.match(tokens.routerAdmin, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(tokens.originApi, tokens.routerAdmin);
    assert.notEqual(upTokens({ apiToken: undefined, edgeAdminToken: undefined, routerAdminToken: undefined }).originApi, tokens.originApi, 'random per run');
    const plan = planUp({ ...base, tokens });
    const byName = new Map(plan.children.map((c) => [c.name, c]));
    assert.deepEqual(byName.get('origin')?.env, { ORIGIN_API_TOKEN: tokens.originApi });
    assert.deepEqual(byName.get('edge-2')?.env, { EDGE_ADMIN_TOKEN: 'given-edge-token' });
    assert.deepEqual(byName.get('router')?.env, { ROUTER_ADMIN_TOKEN: tokens.routerAdmin });
    for (const c of plan.children) for (const t of Object.values(tokens)) assert.ok(!c.args.includes(t), `${c.name} args hold no token`);
  });
});
