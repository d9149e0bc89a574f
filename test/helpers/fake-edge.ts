// A tiny stand-in edge on port 0 whose /healthz can be told to answer, fail, or hang; for router tests.
import http from 'node:http';
import type { Socket } from 'node:net';
import { listenServer, type Listening } from '../../server/core/listen.ts';

export type FakeEdgeMode = 'ok' | 'unhealthy' | 'hang';

export interface FakeEdge {
  readonly url: string;
  readonly port: number;
  mode: FakeEdgeMode;
  /** Reported as `load` in the /healthz body when set. */
  load: number | undefined;
  /** Paths requested, /healthz included. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startFakeEdge(): Promise<FakeEdge> {
  const sockets = new Set<Socket>();
  const edge = { mode: 'ok' as FakeEdgeMode, load: undefined as number | undefined, requests: [] as string[] };
  const server = http.createServer((req, res) => {
    edge.requests.push(req.url ?? '');
    if (req.url !== '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('edge body');
      return;
    }
    if (edge.mode === 'hang') return; // never answers; the socket is destroyed on close
    const ok = edge.mode === 'ok';
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ role: 'edge', ok, ...(edge.load === undefined ? {} : { load: edge.load }) }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listening: Listening = await listenServer(server, 0, '127.0.0.1');
  return Object.assign(edge, {
    url: listening.url,
    port: listening.port,
    async close() {
      for (const s of sockets) s.destroy();
      await listening.close();
    },
  });
}
