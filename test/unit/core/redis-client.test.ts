// REDIS_CLUSTER_NODES parsing and the choice between one Redis and a cluster, for edges and the router.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultsOf } from '../../../server/core/config.ts';
import { ConfigError } from '../../../server/core/errors.ts';
import { describeRedisTarget, parseClusterNodes } from '../../../server/core/redis-target.ts';
import { resolveEdgeSettings, testEdgeConfig } from '../../../server/edge/edge-config.ts';
import { checkRouterConfig, registryTarget, routerFields } from '../../../server/router/router-config.ts';

describe('Redis Cluster configuration', () => {
  test('parses host:port lists, URLs with credentials, and IPv6', () => {
    assert.deepEqual(parseClusterNodes('10.0.0.1:7000, redis-2:7001,,'), { kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-2', port: 7001 }] });
    assert.deepEqual(parseClusterNodes('rediss://app:s%40cret@r1:6380,r2:6380'), {
      kind: 'cluster',
      nodes: [{ host: 'r1', port: 6380 }, { host: 'r2', port: 6380 }],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
    assert.deepEqual(parseClusterNodes('[::1]:7000').nodes, [{ host: '::1', port: 7000 }]);
  });

  test('names the bad entry, and never shows a password', () => {
    assert.throws(() => parseClusterNodes('r1:7000,r2'), /cluster node "r2" must be host:port/);
    assert.throws(() => parseClusterNodes('r1:99999'), /must be host:port/);
    assert.throws(() => parseClusterNodes(' , '), /at least one host:port/);
    assert.throws(() => parseClusterNodes('redis://u:secret@r1'), (err: Error) => !err.message.includes('secret'));
    assert.equal(describeRedisTarget({ kind: 'single', url: 'redis://u:secret@h:6379' }), 'redis://***@h:6379');
    assert.equal(describeRedisTarget(parseClusterNodes('a:1,b:2')), 'cluster a:1,b:2');
  });

  test('an edge uses the cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL, else nothing', () => {
    const settings = (over: Parameters<typeof testEdgeConfig>[0]) => resolveEdgeSettings(testEdgeConfig({ origin: ['http://o:8080'], ...over }), { cores: 1 });
    assert.deepEqual(settings({}).redisTarget, { kind: 'single', url: 'redis://127.0.0.1:6379' });
    assert.equal(settings({ redis: 'none' }).redisTarget, undefined);
    const clustered = settings({ redisClusterNodes: 'r1:7000,r2:7000' });
    assert.equal(clustered.redisTarget?.kind, 'cluster');
    assert.equal(clustered.redisUrl, undefined);
    assert.throws(() => settings({ redisClusterNodes: 'r1' }), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('REDIS_CLUSTER_NODES (--redis-cluster):')));
  });

  test('the router reads its registry from the cluster when one is configured', () => {
    assert.equal(registryTarget(defaultsOf(routerFields)), undefined);
    assert.deepEqual(registryTarget(defaultsOf(routerFields, { redis: 'redis://h:6379' })), { kind: 'single', url: 'redis://h:6379' });
    assert.equal(registryTarget(defaultsOf(routerFields, { redis: 'redis://h:6379', redisClusterNodes: 'a:1' }))?.kind, 'cluster');
    assert.throws(() => checkRouterConfig(defaultsOf(routerFields, { redisClusterNodes: 'a' })), /REDIS_CLUSTER_NODES \(--redis-cluster\)/);
  });
});
