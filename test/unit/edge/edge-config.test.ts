// The edge's settings refuse at startup what the router would skip in a heartbeat.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../server/core/errors.ts';
import { resolveEdgeSettings, testEdgeConfig } from '../../../server/edge/edge-config.ts';

describe('edge settings', () => {
  it('refuses a region routers would not accept, and takes one they would', () => {
    assert.throws(() => resolveEdgeSettings(testEdgeConfig({ origin: ['http://127.0.0.1:1'], region: 'eu west' }), { cores: 2 }), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('EDGE_REGION (--region)')));
    assert.equal(resolveEdgeSettings(testEdgeConfig({ origin: ['http://127.0.0.1:1'], region: 'eu-west_1' }), { cores: 2 }).edgeId.length > 0, true);
  });
});
