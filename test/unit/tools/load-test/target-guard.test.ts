import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLocalTarget, isLoopbackHost } from '../../../../tools/load-test/target-guard.ts';
import { isAppError } from '../../../../server/core/errors.ts';

describe('localhost-only guard', () => {
  it('accepts localhost, 127.0.0.0/8 and ::1 in their URL forms', () => {
    for (const url of ['http://localhost:8081/a', 'http://127.0.0.1/', 'http://127.8.9.10:1/', 'http://[::1]:8081/', 'http://[::ffff:127.0.0.1]/', 'http://0x7f.1/', 'http://LOCALHOST./']) {
      assert.doesNotThrow(() => assertLocalTarget(url, false), url);
    }
  });

  it('refuses anything else with a clear error naming the rule and the way out', () => {
    for (const url of ['http://10.0.0.1/', 'http://128.0.0.1/', 'http://example.com/', 'http://[::2]/', 'http://[::ffff:10.0.0.1]/', 'https://cdn.example.net/vod/master.m3u8', 'http://0.0.0.0/']) {
      assert.throws(
        () => assertLocalTarget(url, false),
        (err: unknown) => isAppError(err) && err.code === 'LOADTEST_REMOTE_TARGET' && err.message.includes('--allow-remote') && err.message.includes(url),
        url,
      );
    }
  });

  it('lets --allow-remote through', () => {
    assert.doesNotThrow(() => assertLocalTarget('http://example.com/', true));
  });

  it('does not trust names that merely contain localhost', () => {
    assert.equal(isLoopbackHost('localhost.example.com'), false);
    assert.equal(isLoopbackHost('mylocalhost'), false);
    assert.equal(isLoopbackHost('a.localhost'), true);
  });
});
