import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planUp } from '../../../server/cli/up.ts';

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
});
