// What the bench starts: the edge untuned, nginx and Varnish configured as users do, wrk sending the player's CMCD.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCmcdString } from '../../../../server/edge/cmcd.ts';
import { cmcdQueries } from '../../../../tools/bench/cmcd-query.ts';
import { cpuUsPerRequest, parseStatCpuTicks } from '../../../../tools/bench/cpu.ts';
import { countKey } from '../../../../tools/bench/delay-proxy.ts';
import { wrkScript } from '../../../../tools/bench/load-tools.ts';
import { nginxConf } from '../../../../tools/bench/nginx-baseline.ts';
import { edgeArgs, edgeEnv } from '../../../../tools/bench/stack.ts';
import { varnishArgs, varnishVcl } from '../../../../tools/bench/varnish-baseline.ts';

describe('bench configuration', () => {
  it('starts the edge with no flag that tunes it, and without LOG_LEVEL or EDGE_* from the environment', () => {
    const args = edgeArgs({ port: 9, originUrl: 'http://127.0.0.1:1', redisUrl: 'redis://127.0.0.1:6379', redisPrefix: 'bench:x:', name: 'e', memoryMb: undefined });
    assert.deepEqual(args, ['--port', '9', '--origin', 'http://127.0.0.1:1', '--redis', 'redis://127.0.0.1:6379', '--redis-prefix', 'bench:x:', '--id', 'e']);
    assert.deepEqual(edgeArgs({ port: 9, originUrl: 'o', redisUrl: undefined, redisPrefix: 'p', name: 'e', memoryMb: 0 }).slice(-4), ['--id', 'e', '--memory-mb', '0']);
    const env = edgeEnv({ PATH: '/bin', LOG_LEVEL: 'warn', EDGE_ACCESS_LOG: 'false', EDGE_WORKERS: '1', REDIS_URL: 'redis://x' });
    assert.deepEqual(env, { PATH: '/bin', REDIS_URL: 'redis://x' });
  });

  it('configures nginx proxy_cache as a user does: sendfile, keepalive upstream, cache lock, access log, one object per path', () => {
    const conf = nginxConf({ dir: '/tmp/n', port: 8000, originPort: 9000, accessLog: true, runAsRoot: false });
    for (const line of ['sendfile on;', 'access_log /tmp/n/access.log;', 'keepalive 16;', 'proxy_http_version 1.1;', 'proxy_set_header Connection "";', 'proxy_cache_lock on;', 'proxy_cache_key $scheme$proxy_host$uri;', 'server 127.0.0.1:9000;', 'listen 127.0.0.1:8000;']) {
      assert.ok(conf.includes(line), `nginx.conf has ${line}`);
    }
    assert.ok(!conf.includes('user root;'));
    assert.ok(!/proxy_ignore_headers/.test(conf), 'the origin Cache-Control is honoured');
    assert.ok(nginxConf({ dir: '/d', port: 1, originPort: 2, accessLog: false, runAsRoot: true }).includes('access_log off;'));
  });

  it('configures Varnish with the origin as backend, the query out of the hash, malloc storage and its own -n folder', () => {
    const vcl = varnishVcl({ originHost: '127.0.0.1', originPort: 9000 });
    assert.match(vcl, /^vcl 4\.1;/);
    assert.match(vcl, /\.host = "127\.0\.0\.1";\s+\.port = "9000";/);
    assert.ok(vcl.includes('hash_data(regsub(req.url, "\\?.*$", ""));'));
    assert.deepEqual(varnishArgs({ port: 8001, vclFile: '/d/bench.vcl', workDir: '/d/n', storageMb: 256 }), ['-F', '-a', '127.0.0.1:8001', '-f', '/d/bench.vcl', '-s', 'malloc,256m', '-n', '/d/n']);
  });

  it('builds CMCD queries the edge parses as hls.js data, distinct per request', () => {
    const seg = cmcdQueries({ object: 'segment', contentId: '/vod/bench/r/index.m3u8', count: 4, sessionIds: ['s-1', 's-2'] });
    assert.equal(new Set(seg).size, 4);
    for (const q of seg) {
      assert.match(q, /^CMCD=bl%3D\d+%2Cbr%3D\d+%2Ccid%3D%22%2Fvod%2Fbench%2Fr%2Findex\.m3u8%22%2Cd%3D4000%2Cmtp%3D\d+%2Cot%3Dv%2Csf%3Dh%2Csid%3D%22s-[12]%22%2Cst%3Dv%2Ctb%3D\d+$/);
      const parsed = parseCmcdString(decodeURIComponent(q.slice('CMCD='.length)));
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.data.ot, 'v');
      assert.equal(parsed.data.sf, 'h');
      assert.equal(parsed.data.d, 4000);
    }
    const pl = cmcdQueries({ object: 'playlist', contentId: '/vod/a/master.m3u8', count: 2, sessionIds: ['x'] });
    const p0 = parseCmcdString(decodeURIComponent(pl[0]?.slice('CMCD='.length) ?? ''));
    assert.deepEqual(p0.problems, []);
    assert.equal(p0.data.ot, 'm');
    assert.equal(p0.data.su, true);
    assert.throws(() => cmcdQueries({ object: 'segment', contentId: '/', count: 0 }), /positive integer/);
  });

  it('has wrk send the variants in turn and report p50 and p99, refusing paths it cannot quote safely', () => {
    const lua = wrkScript(['/a.ts?CMCD=bl%3D1', '/a.ts?CMCD=bl%3D2']);
    assert.ok(lua.includes('local paths = { "/a.ts?CMCD=bl%3D1", "/a.ts?CMCD=bl%3D2" }'));
    assert.match(lua, /request = function\(\)/);
    assert.match(lua, /latency:percentile\(99\)/);
    assert.ok(!wrkScript([]).includes('request = function'), 'no variants: wrk sends its URL');
    assert.throws(() => wrkScript(['/a"; os.exit() --']), /printable ASCII/);
    assert.throws(() => wrkScript(['relative']), /starting with \//);
  });

  it('reads CPU ticks from /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 1200 0 3 0 731 269 0 0 20 0 11 0 5000 1000000 2000';
    assert.equal(parseStatCpuTicks(stat), 1000);
    assert.throws(() => parseStatCpuTicks('garbage'), /stat/);
    // 250 ticks at 100 Hz = 2.5 s of CPU over 10,000 requests = 250 µs each.
    assert.equal(cpuUsPerRequest(1000, 1250, 100, 10_000), 250);
    assert.equal(cpuUsPerRequest(1000, 1250, 100, 0), null);
    assert.equal(cpuUsPerRequest(1250, 1000, 100, 10), null);
  });

  it('counts herd fetches per path, the query left out', () => {
    assert.equal(countKey('/vod/herd/r/h-00001.ts?CMCD=x'), '/vod/herd/r/h-00001.ts');
    assert.equal(countKey('/vod/herd/r/h-00001.ts'), '/vod/herd/r/h-00001.ts');
  });
});
