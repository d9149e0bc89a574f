// String.prototype keeps V8's fast properties in a running role (server/core/string-prototype.ts): ioredis 6
// subclasses String as it loads, which left every string method of the process on V8's generic inline cache.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startCliRole, type CliRole } from '../helpers/cli-role.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { freePort } from '../helpers/ports.ts';
import { SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const PROBE = new URL('../helpers/string-prototype-probe.cjs', import.meta.url).pathname;
const NODE_ARGS = ['--allow-natives-syntax', '--require', PROBE];

/** What the probe preloaded in `child` answers to SIGUSR2 (its stderr must be piped). */
async function isStringPrototypeFast(child: ChildProcess): Promise<boolean> {
  let err = '';
  child.stderr?.setEncoding('utf8');
  const onData = (c: string): void => void (err += c);
  child.stderr?.on('data', onData);
  try {
    child.kill('SIGUSR2');
    const answer = await waitFor('the probe to answer', () => /string-prototype-fast=(true|false)/.exec(err)?.[1], { timeoutMs: 10_000, intervalMs: 20 });
    return answer === 'true';
  } finally {
    child.stderr?.off('data', onData);
  }
}

describe('String.prototype in a running role', { timeout: 60_000 }, () => {
  const keys = testPrefix('string-prototype');
  let origin: CountingOrigin;
  let edge: CliRole | undefined;
  let port = 0;

  before(async () => {
    origin = await startCountingOrigin();
    origin.set('/vod/s/r/index.m3u8', { body: '#EXTM3U\n', headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=30' } });
    port = await freePort();
    // With Redis, so the edge loads ioredis and uses it (the shared tier, purges, the registry).
    edge = await startCliRole(
      ['edge', '--port', String(port), '--origin', origin.url, '--redis', SHARED_REDIS_URL, '--redis-prefix', keys.prefix, '--workers', '1', '--id', 'proto-edge', '--no-player'],
      `http://127.0.0.1:${port}/healthz`,
      { nodeArgs: NODE_ARGS, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  });

  after(async () => {
    await edge?.stop();
    await origin?.stop();
    await keys.cleanup();
  });

  it('the probe sees a subclassed String (what ioredis does) as slow', async () => {
    const child = spawn(process.execPath, [...NODE_ARGS, '-e', 'class Sub extends String {}; console.log("ready"); setInterval(() => new Sub("x"), 60_000)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (c: string) => (out += c));
      await waitFor('the child to have defined its subclass', () => out.includes('ready'), { timeoutMs: 10_000, intervalMs: 20 });
      assert.equal(await isStringPrototypeFast(child), false);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('is fast in the edge, after it loaded ioredis and served from Redis and memory', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/vod/s/r/index.m3u8?CMCD=${encodeURIComponent('ot=m,sid="a"')}`);
      assert.equal(await r.text(), '#EXTM3U\n');
    }
    assert.ok(edge);
    assert.equal(await isStringPrototypeFast(edge.child), true);
  });
});
