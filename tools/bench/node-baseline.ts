// The Node ceiling: plain node:http answering media files from memory with the edge's hit headers, one worker per core.
// Run as a child of the benchmark: node [--import tsx] tools/bench/node-baseline.ts --port P --media DIR --assets a,b [--workers N]
import cluster from 'node:cluster';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeScriptArgs, startChild, waitReady, type Child } from './processes.ts';
import { trapStopSignals } from '../../server/core/process/signals.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.aac': 'audio/aac',
};

// The same exposed-header list the edge sends, so both answer with heads of the same size.
const EXPOSED = 'Content-Length, Content-Range, Content-Type, Accept-Ranges, ETag, Last-Modified, Cache-Control, Age, Date, Via, X-Cache, X-Cache-Tier';

interface Stored {
  readonly head: readonly string[];
  readonly body: Buffer;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && CONTENT_TYPES[extname(e.name)] !== undefined) out.push(p);
  }
  return out;
}

/** Every media file of the assets, keyed by its URL path, with a head built once (as the edge does at store time). */
export function loadAssets(mediaDir: string, assets: readonly string[]): Map<string, Stored> {
  const hls = join(mediaDir, 'hls');
  const map = new Map<string, Stored>();
  for (const asset of assets) {
    for (const file of walk(join(hls, asset))) {
      const body = readFileSync(file);
      const st = statSync(file);
      const ext = extname(file);
      const isPlaylist = ext === '.m3u8';
      const head = [
        'Content-Type', CONTENT_TYPES[ext] ?? 'application/octet-stream',
        'Cache-Control', isPlaylist ? 'public, max-age=30, stale-while-revalidate=30' : 'public, max-age=1209600, immutable',
        'Last-Modified', st.mtime.toUTCString(),
        'Content-Length', String(body.length),
        'ETag', `"${body.length.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
        'Accept-Ranges', 'bytes',
        'Via', '1.1 node-baseline (edgeline)',
        'Access-Control-Allow-Origin', '*',
        'Access-Control-Expose-Headers', EXPOSED,
        'Age', '0',
        'X-Cache', 'HIT',
        'X-Cache-Tier', 'memory',
      ];
      map.set(`/vod/${relative(hls, file).split(sep).join('/')}`, { head, body });
    }
  }
  return map;
}

function serve(port: number, files: Map<string, Stored>): void {
  const notFound = Buffer.from('{"error":"NOT_FOUND"}');
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const hit = files.get(path);
    if (hit) {
      res.writeHead(200, hit.head as string[]);
      res.end(req.method === 'HEAD' ? undefined : hit.body);
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, ['Content-Type', 'application/json']);
      res.end('{"ok":true}');
      return;
    }
    res.writeHead(404, ['Content-Type', 'application/json', 'Content-Length', String(notFound.length)]);
    res.end(notFound);
  });
  server.keepAliveTimeout = 5_000;
  server.listen(port, '127.0.0.1');
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  trapStopSignals({ onSignal: stop });
  if (cluster.isWorker) cluster.worker?.on('disconnect', stop);
}

function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, media: { type: 'string' }, assets: { type: 'string' }, workers: { type: 'string', default: '0' } },
  });
  const port = Number(values.port);
  const workers = Number(values.workers) || availableParallelism();
  if (!Number.isInteger(port) || port <= 0 || !values.media || !values.assets) {
    process.stderr.write('usage: node-baseline.ts --port P --media DIR --assets a,b [--workers N]\n');
    process.exit(2);
  }
  if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork();
    const stop = (): void => {
      for (const w of Object.values(cluster.workers ?? {})) w?.kill();
      process.exit(0);
    };
    trapStopSignals({ onSignal: stop });
    return;
  }
  serve(port, loadAssets(values.media, values.assets.split(',')));
}

/** Starts the baseline as a child process and waits until it answers. */
export async function startNodeBaseline(o: { port: number; mediaDir: string; assets: readonly string[]; workers: number; logFile: string }): Promise<Child> {
  const child = startChild({
    name: 'node:http baseline',
    command: process.execPath,
    args: [...nodeScriptArgs(fileURLToPath(import.meta.url)), '--port', String(o.port), '--media', o.mediaDir, '--assets', o.assets.join(','), '--workers', String(o.workers)],
    logFile: o.logFile,
  });
  await waitReady(child, `http://127.0.0.1:${o.port}/healthz`);
  return child;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
