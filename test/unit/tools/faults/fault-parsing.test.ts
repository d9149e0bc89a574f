// What the fault suite reads from the roles (/routing, /healthz, /metrics) and from its own flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFaultFlags } from '../../../../tools/faults/command.ts';
import { counterValue } from '../../../../tools/faults/fault-kit.ts';
import { assertLoopback } from '../../../../tools/faults/http-probe.ts';
import { readDecisionUrl, readEdgeHealth, readRouterEdges } from '../../../../tools/faults/stack.ts';

describe('role answers', () => {
  it("reads the router's edges and decision, and nothing from a body of another shape", () => {
    const body = { decision: { edge: { url: 'http://127.0.0.1:2' } }, edges: [{ url: 'http://127.0.0.1:1', status: 'up' }, { url: 'http://127.0.0.1:2', status: 'down' }, { url: 3 }] };
    assert.deepEqual(readRouterEdges(body), [{ url: 'http://127.0.0.1:1', status: 'up' }, { url: 'http://127.0.0.1:2', status: 'down' }]);
    assert.equal(readDecisionUrl(body), 'http://127.0.0.1:2');
    for (const bad of [undefined, null, 'edges', [], { edges: 'x' }]) {
      assert.deepEqual(readRouterEdges(bad), []);
      assert.equal(readDecisionUrl(bad), undefined);
    }
  });

  it("reads an edge's health: Redis counts as connected only with its subscriber", () => {
    assert.deepEqual(readEdgeHealth({ redis: { connected: true, subscriber: true }, origin: { reachable: true } }), { redisConnected: true, originReachable: true });
    assert.deepEqual(readEdgeHealth({ redis: { connected: true, subscriber: false }, origin: { reachable: false } }), { redisConnected: false, originReachable: false });
    assert.deepEqual(readEdgeHealth({}), { redisConnected: false, originReachable: false });
    assert.equal(readEdgeHealth('ok'), undefined);
  });

  it('sums a counter over the series whose labels match', () => {
    const text = [
      '# HELP hls_edge_purges_total x',
      'hls_edge_purges_total{role="edge",source="resync"} 2',
      'hls_edge_purges_total{role="edge",source="local"} 5',
      'hls_edge_purges_total_other{source="resync"} 9',
      'hls_edge_purges_total{source="resync",worker="2"} 1',
    ].join('\n');
    assert.equal(counterValue(text, 'hls_edge_purges_total', 'source="resync"'), 3);
    assert.equal(counterValue(text, 'hls_edge_purges_total', ''), 8);
    assert.equal(counterValue(text, 'hls_edge_missing_total', ''), 0);
  });
});

describe('faults flags', () => {
  it('defaults to every fault into faults/results under the repository', () => {
    const f = parseFaultFlags([], '/repo');
    assert.ok(f);
    assert.equal(f.quick, false);
    assert.deepEqual(f.only, ['redis-loss', 'origin-loss', 'origin-freeze', 'edge-loss', 'live-ffmpeg-kill', 'slowloris', 'memory-bound', 'package-kill']);
    assert.equal(f.out, '/repo/faults/results');
  });

  it('--only takes comma-separated and repeated names; an unknown one is refused by name', () => {
    assert.deepEqual(parseFaultFlags(['--quick', '--only', 'edge-loss,redis-loss', '--only', 'origin-loss'], '/r')?.only, ['edge-loss', 'redis-loss', 'origin-loss']);
    assert.throws(() => parseFaultFlags(['--only', 'redis-loss,disk-full'], '/r'), /--only: .*got "disk-full"/);
    assert.equal(parseFaultFlags(['--help'], '/r'), undefined);
  });
});

describe('loopback only', () => {
  it('refuses any host but loopback', () => {
    assert.doesNotThrow(() => assertLoopback('http://127.0.0.1:8000/x'));
    assert.throws(() => assertLoopback('http://example.com/x'), /not on loopback/);
    assert.throws(() => assertLoopback('http://10.0.0.1/x'), /not on loopback/);
  });
});
