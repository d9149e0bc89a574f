// `edgeline compare` settings: flags, cross-field checks, the playlist path and the default report folder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../../server/core/config.ts';
import { ConfigError } from '../../../../server/core/errors.ts';
import { compareFields, defaultOutName, playlistPath, resolveCompareSettings } from '../../../../tools/compare/compare-options.ts';
import { waveSizes } from '../../../../tools/compare/arm-runner.ts';

const NOW = new Date(2025, 0, 2, 13, 4, 5);

function settings(argv: string[], env: Record<string, string> = {}) {
  return resolveCompareSettings(loadConfig(compareFields, env, argv).values, NOW, '/work');
}

describe('compare settings', () => {
  it('defaults: 5 sessions of 30 s, 150 ms / 20 Mbit/s WAN, 4 at once, its own stack, a timestamped report folder', () => {
    const s = settings([]);
    assert.equal(s.sessions, 5);
    assert.equal(s.seconds, 30);
    assert.deepEqual(s.wan, { rttMs: 150, bandwidthMbps: 20, jitterMs: 0 });
    assert.equal(s.concurrent, 4);
    assert.equal(s.srcPath, '/vod/sample/master.m3u8');
    assert.equal(s.outDir, '/work/reports/compare-20250102-130405');
    assert.deepEqual(s.target, { kind: 'own', mediaDir: '/work/media', redisUrl: 'redis://127.0.0.1:6379', edgeWorkers: 1 });
    assert.equal(s.warmUp, true);
  });

  it('flags win over the environment; --redis none means the memory tier only', () => {
    const s = settings(['--sessions', '2', '--seconds', '6', '--concurrent', '2', '--wan-rtt-ms', '80', '--redis', 'none', '--out', 'x', '--no-warm-up'], { COMPARE_SESSIONS: '9', WAN_RTT_MS: '10' });
    assert.equal(s.sessions, 2);
    assert.equal(s.seconds, 6);
    assert.equal(s.wan.rttMs, 80);
    assert.equal(s.outDir, '/work/x');
    assert.equal(s.target.kind === 'own' && s.target.redisUrl, undefined);
    assert.equal(s.warmUp, false);
  });

  it('never has more slots than sessions', () => {
    assert.equal(settings(['--sessions', '2', '--concurrent', '8']).concurrent, 2);
  });

  it('targets running servers with --origin and --edge, and needs both', () => {
    const s = settings(['--origin', 'http://o:8080/', '--edge', 'http://e:8081', '--admin-token', 't']);
    assert.deepEqual(s.target, { kind: 'running', originUrl: 'http://o:8080', edgeUrl: 'http://e:8081' });
    assert.equal(s.adminToken, 't');
    assert.throws(() => settings(['--origin', 'http://o:8080']), (err: unknown) => err instanceof ConfigError && /--origin and --edge/.test(err.message));
  });

  it('reports every bad value together', () => {
    assert.throws(
      () => settings(['--sessions', '0', '--seconds', 'x', '--src', 'vod/a.m3u8']),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 2 && /COMPARE_SESSIONS/.test(err.message) && /COMPARE_SECONDS/.test(err.message),
    );
    assert.throws(() => settings(['--src', 'vod/a.m3u8']), (err: unknown) => err instanceof ConfigError && /--src/.test(err.message));
  });

  it('plays a path: absolute URLs are reduced to path and query, relative ones are refused', () => {
    assert.equal(playlistPath('/vod/a/master.m3u8'), '/vod/a/master.m3u8');
    assert.equal(playlistPath('http://edge:8081/vod/a/master.m3u8?x=1'), '/vod/a/master.m3u8?x=1');
    assert.throws(() => playlistPath('vod/a/master.m3u8'), /playlist path/);
    assert.throws(() => playlistPath('//evil/x.m3u8'), /playlist path/);
  });

  it('names the report folder by local time', () => {
    assert.equal(defaultOutName(NOW), 'compare-20250102-130405');
  });

  it('splits sessions into waves of at most --concurrent', () => {
    assert.deepEqual(waveSizes(5, 2), [2, 2, 1]);
    assert.deepEqual(waveSizes(4, 4), [4]);
    assert.deepEqual(waveSizes(1, 4), [1]);
  });
});
