// A far origin for the herd: forwards every request to the origin after a fixed delay and counts requests per path,
// so the bench sees how many fetches a herd of viewers caused. Run as a child of the benchmark:
//   node [--import tsx] tools/bench/delay-proxy.ts --port P --target http://127.0.0.1:O --delay-ms 200
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { nodeScriptArgs, startChild, waitReady, type Child } from './processes.ts';
import { trapStopSignals } from '../../server/core/process/signals.ts';

/** The proxy's own path: the counts so far, as JSON `{ "/path": n }`, never forwarded. */
export const COUNTS_PATH = '/_delay/counts';

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** The path a request is counted under: the URL without its query. */
export function countKey(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function serve(port: number, target: URL, delayMs: number): void {
  const counts = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === COUNTS_PATH) {
      const body = Buffer.from(JSON.stringify(Object.fromEntries(counts)));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' }).end(body);
      return;
    }
    const key = countKey(url);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const headers = forwardable(req.headers);
    headers['host'] = target.host;
    const timer = setTimeout(() => {
      const upstream = http.request({ host: target.hostname, port: target.port || 80, method: req.method, path: url, headers, agent }, (up) => {
        res.writeHead(up.statusCode ?? 502, forwardable(up.headers));
        up.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end('delay proxy: the origin did not answer\n');
        else res.destroy();
      });
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
  trapStopSignals({
    onSignal: () => {
      server.close();
      server.closeAllConnections();
      agent.destroy();
      process.exit(0);
    },
  });
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string' }, target: { type: 'string' }, 'delay-ms': { type: 'string', default: '200' } } });
  const port = Number(values.port);
  const delayMs = Number(values['delay-ms']);
  let target: URL | undefined;
  try {
    target = values.target ? new URL(values.target) : undefined;
  } catch {
    target = undefined;
  }
  if (!Number.isInteger(port) || port <= 0 || !target || target.protocol !== 'http:' || !Number.isFinite(delayMs) || delayMs < 0) {
    process.stderr.write('usage: delay-proxy.ts --port P --target http://host:port --delay-ms N\n');
    process.exit(2);
  }
  serve(port, target, delayMs);
}

export interface DelayProxy {
  readonly child: Child;
  readonly url: string;
  /** Requests per path so far (query left out). */
  counts(): Promise<Record<string, number>>;
}

export async function startDelayProxy(o: { port: number; target: string; delayMs: number; logFile: string }): Promise<DelayProxy> {
  const child = startChild({
    name: 'delay proxy',
    command: process.execPath,
    args: [...nodeScriptArgs(fileURLToPath(import.meta.url)), '--port', String(o.port), '--target', o.target, '--delay-ms', String(o.delayMs)],
    logFile: o.logFile,
  });
  const url = `http://127.0.0.1:${o.port}`;
  await waitReady(child, `${url}${COUNTS_PATH}`);
  return {
    child,
    url,
    async counts() {
      const res = await request(`${url}${COUNTS_PATH}`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
      const j = (await res.body.json()) as unknown;
      if (res.statusCode !== 200 || typeof j !== 'object' || j === null) throw new Error(`delay proxy counts: status ${res.statusCode}`);
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(j)) if (typeof v === 'number') out[k] = v;
      return out;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
