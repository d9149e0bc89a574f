// Router settings: the flags `edgeline up` passes, the environment, and rules between settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../server/core/config.ts';
import { ConfigError } from '../../../server/core/errors.ts';
import { checkRouterConfig, routerFields } from '../../../server/router/router-config.ts';

describe('router config', () => {
  test('reads the flags `edgeline up` passes', () => {
    const argv = ['--port', '8000', '--edge', 'http://127.0.0.1:8081#local', '--edge', 'http://127.0.0.1:8082/#EU', '--redis', 'redis://127.0.0.1:6379'];
    const c = checkRouterConfig(loadConfig(routerFields, {}, argv).values);
    assert.equal(c.port, 8000);
    assert.deepEqual(c.edges, [
      { url: 'http://127.0.0.1:8081', region: 'local' },
      { url: 'http://127.0.0.1:8082', region: 'eu' },
    ]);
    assert.equal(c.redis, 'redis://127.0.0.1:6379');
    assert.equal(c.healthIntervalMs, 1_000);
    assert.equal(c.downAfterMs, 3_000);
  });

  test('takes edges, durations and a CIDR map from the environment; flags win', () => {
    const env = { ROUTER_EDGES: 'http://a:1#eu,http://b:2', ROUTER_HEALTH_INTERVAL: '200ms', ROUTER_DOWN_AFTER: '1s', ROUTER_CIDR_MAP: '10.0.0.0/8=eu', PORT: '9000' };
    const c = loadConfig(routerFields, env, ['--port', '9001']).values;
    assert.deepEqual(c.edges, [
      { url: 'http://a:1', region: 'eu' },
      { url: 'http://b:2', region: undefined },
    ]);
    assert.equal(c.healthIntervalMs, 200);
    assert.equal(c.downAfterMs, 1_000);
    assert.deepEqual(c.cidrMap, [{ cidr: '10.0.0.0/8', region: 'eu' }]);
    assert.equal(c.port, 9001);
  });

  test('reports every bad value together, naming flag and variable', () => {
    const err = (() => {
      try {
        loadConfig(routerFields, {}, ['--edge', 'ftp://x', '--edge', 'http://y#bad/region', '--redis', 'http://r', '--cidr-map', 'nope=eu']);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 3);
    assert.match(err.message, /ROUTER_EDGES \(--edge\): expected an http\(s\) URL, got "ftp:\/\/x"/);
    assert.match(err.message, /REDIS_URL \(--redis\): expected a redis:\/\/ or rediss:\/\/ URL/);
    assert.match(err.message, /ROUTER_CIDR_MAP \(--cidr-map\): CIDR map entry "nope"/);
  });

  test('rejects a down-after window shorter than one check cycle', () => {
    const c = loadConfig(routerFields, {}, ['--health-interval', '1s', '--down-after', '1200ms']).values;
    assert.throws(() => checkRouterConfig(c), /ROUTER_DOWN_AFTER \(--down-after\): must be at least --health-interval \+ --health-timeout \(1800ms\)/);
    // The timeout is capped at the interval, so short intervals work without touching it.
    assert.doesNotThrow(() => checkRouterConfig(loadConfig(routerFields, {}, ['--health-interval', '200ms', '--down-after', '600ms']).values));
  });
});
