// The nginx baseline: proxy_cache in front of the same origin, configured in a temp folder, run in the foreground.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, runCommand, startChild, waitReady, type Child } from './processes.ts';

export interface NginxInfo {
  readonly path: string;
  readonly version: string;
}

/** nginx's path and version, or undefined when it is not installed (the baseline is then skipped). */
export async function detectNginx(): Promise<NginxInfo | undefined> {
  const path = findExecutable('nginx');
  if (!path) return undefined;
  const { output } = await runCommand(path, ['-v'], 5_000);
  const m = /nginx\/(\S+)/.exec(output);
  return m?.[1] ? { path, version: m[1] } : undefined;
}

/** A standalone config: everything nginx writes stays under `dir`. */
export function nginxConf(o: { dir: string; port: number; originPort: number; accessLog: boolean; runAsRoot: boolean }): string {
  const d = o.dir;
  return `# Written by tools/bench/nginx-baseline.ts for one benchmark run: proxy_cache as a user configures it.
${o.runAsRoot ? 'user root;\n' : ''}worker_processes auto;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 4096; }
http {
  # On, like the edge's access log by default (one line per request, nginx's default format).
  ${o.accessLog ? `access_log ${d}/access.log;` : 'access_log off;'}
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  # wrk keeps its 32 connections open for the whole run; the default (1000) would make nginx close them now and then.
  keepalive_requests 1000000;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy_temp;
  fastcgi_temp_path ${d}/fastcgi_temp;
  uwsgi_temp_path ${d}/uwsgi_temp;
  scgi_temp_path ${d}/scgi_temp;
  proxy_cache_path ${d}/cache levels=1:2 keys_zone=edge:10m max_size=1g inactive=1h use_temp_path=off;
  upstream origin {
    server 127.0.0.1:${o.originPort};
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${o.port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # One identity copy per URL, as the edge stores it.
      proxy_set_header Accept-Encoding "";
      proxy_cache edge;
      # One object per path, as the edge keys it: the player's CMCD query must not split the cache.
      proxy_cache_key $scheme$proxy_host$uri;
      # The origin's Cache-Control (playlists 30 s + stale-while-revalidate, segments 14 days) is honoured, as by the edge;
      # these apply only where it says nothing.
      proxy_cache_valid 200 206 1h;
      proxy_cache_valid 404 10s;
      proxy_cache_lock on;
      proxy_cache_use_stale updating error timeout http_502 http_503 http_504;
      proxy_cache_background_update on;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }
}
`;
}

function versionAtLeast(v: string, min: readonly number[]): boolean {
  const parts = v.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export async function startNginx(info: NginxInfo, o: { dir: string; port: number; originPort: number; accessLog: boolean; name?: string }): Promise<Child> {
  mkdirSync(join(o.dir, 'cache'), { recursive: true });
  const conf = join(o.dir, 'nginx.conf');
  // As root, nginx's workers would run as "nobody" and could not write the cache in our private temp folder.
  writeFileSync(conf, nginxConf({ ...o, runAsRoot: process.getuid?.() === 0 }));
  const args = ['-p', o.dir, '-c', conf, '-g', 'daemon off;'];
  // -e (1.19.5+) keeps nginx from opening the system-wide error log before it reads the config.
  if (versionAtLeast(info.version, [1, 19, 5])) args.push('-e', join(o.dir, 'error.log'));
  const child = startChild({ name: o.name ?? 'nginx', command: info.path, args, logFile: join(o.dir, 'stdout.log') });
  // The origin's /healthz answered through nginx means both are up.
  await waitReady(child, `http://127.0.0.1:${o.port}/healthz`);
  return child;
}
