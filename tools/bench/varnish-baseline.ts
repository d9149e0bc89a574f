// The Varnish baseline: varnishd in the foreground (-F) with a minimal VCL in front of the same origin, its state in a
// temp folder (-n), stopped by its pid like every other child.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, runCommand, startChild, waitReady, type Child } from './processes.ts';

export interface VarnishInfo {
  readonly path: string;
  readonly version: string;
}

/** varnishd's path and version, or undefined when it is not installed (the baseline is then skipped). */
export async function detectVarnish(): Promise<VarnishInfo | undefined> {
  const path = findExecutable('varnishd');
  if (!path) return undefined;
  const { output } = await runCommand(path, ['-V'], 5_000);
  const m = /varnish-(\S+)/.exec(output);
  return m?.[1] ? { path, version: m[1] } : undefined;
}

/**
 * A minimal VCL: the origin as the one backend, Varnish's built-in rules otherwise (they honour the origin's
 * Cache-Control and stream misses). One object per path, as the edge stores it: the query (the player's CMCD) is
 * left out of the hash, not out of the request.
 */
export function varnishVcl(o: { originHost: string; originPort: number }): string {
  return `vcl 4.1;
# Written by tools/bench/varnish-baseline.ts for one benchmark run.
backend origin {
  .host = "${o.originHost}";
  .port = "${o.originPort}";
}
sub vcl_hash {
  hash_data(regsub(req.url, "\\?.*$", ""));
  if (req.http.host) { hash_data(req.http.host); } else { hash_data(server.ip); }
  return (lookup);
}
`;
}

export function varnishArgs(o: { port: number; vclFile: string; workDir: string; storageMb: number }): string[] {
  return ['-F', '-a', `127.0.0.1:${o.port}`, '-f', o.vclFile, '-s', `malloc,${o.storageMb}m`, '-n', o.workDir];
}

export async function startVarnish(info: VarnishInfo, o: { dir: string; port: number; originPort: number; name?: string }): Promise<Child> {
  mkdirSync(o.dir, { recursive: true });
  // As root, varnishd's cache process runs as its own user (vcache): it must be able to enter the folder.
  chmodSync(o.dir, 0o755);
  const vclFile = join(o.dir, 'bench.vcl');
  writeFileSync(vclFile, varnishVcl({ originHost: '127.0.0.1', originPort: o.originPort }));
  const child = startChild({ name: o.name ?? 'varnish', command: info.path, args: varnishArgs({ port: o.port, vclFile, workDir: join(o.dir, 'n'), storageMb: 256 }), logFile: join(o.dir, 'varnishd.log') });
  await waitReady(child, `http://127.0.0.1:${o.port}/healthz`);
  return child;
}
