// A tiny node:http origin for edge tests: serves objects from memory, counts requests, answers conditionals, can hold.
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginObject {
  status?: number;
  body: Buffer | string;
  headers?: Record<string, string>;
  /** Send the body in this many pieces, each after the test calls sendPiece() (the first goes with the head). */
  pieces?: number;
}

export interface CountingOrigin {
  readonly url: string;
  readonly port: number;
  /** Serve `obj` at `path` (replaces what was there). */
  set(path: string, obj: OriginObject): void;
  delete(path: string): void;
  /** Requests seen for a path (query included when given), or all requests but health probes. */
  count(path?: string): number;
  /** Headers of the last request for a path. */
  lastHeaders(path: string): IncomingHttpHeaders | undefined;
  /** Hold every response until release() (requests are still counted on arrival). */
  hold(): void;
  release(): void;
  /** Lets every response sent in pieces send its next piece. */
  sendPiece(): void;
  /** Pieces of bodies sent so far (over all responses sent in pieces). */
  readonly piecesSent: number;
  /** Resolves once `n` requests have arrived in total. */
  waitForRequests(n: number): Promise<void>;
  stop(): Promise<void>;
  /** Listen again on the same port after stop(). */
  start(): Promise<void>;
}

export async function startCountingOrigin(opts: { port?: number } = {}): Promise<CountingOrigin> {
  const objects = new Map<string, OriginObject>();
  const counts = new Map<string, number>();
  const headersSeen = new Map<string, IncomingHttpHeaders>();
  let total = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const arrivals: Array<{ n: number; resolve: () => void }> = [];
  const pieceWaiters = new Set<() => void>();
  let piecesSent = 0;

  const handler: http.RequestListener = (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? url;
    // Edges probe /healthz in the background: a health check, not a fetch, so it is not in the total.
    if (path !== '/healthz') total++;
    counts.set(url, (counts.get(url) ?? 0) + 1);
    if (url !== path) counts.set(path, (counts.get(path) ?? 0) + 1);
    headersSeen.set(path, req.headers);
    for (const a of [...arrivals]) {
      if (total >= a.n) {
        arrivals.splice(arrivals.indexOf(a), 1);
        a.resolve();
      }
    }
    const answer = (): void => {
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      const obj = objects.get(path);
      if (!obj) {
        res.writeHead(404, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ error: 'NOT_FOUND' }));
        return;
      }
      const body = typeof obj.body === 'string' ? Buffer.from(obj.body) : obj.body;
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...(obj.headers ?? {}) };
      const etag = headers['etag'] ?? headers['ETag'];
      const inm = req.headers['if-none-match'];
      const ims = req.headers['if-modified-since'];
      const lm = headers['last-modified'];
      const notModified = (etag !== undefined && inm === etag) || (inm === undefined && ims !== undefined && lm !== undefined && Date.parse(lm) <= Date.parse(ims));
      if ((obj.status ?? 200) === 200 && notModified) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(obj.status ?? 200, { ...headers, 'content-length': String(body.length) });
      const pieces = obj.pieces ?? 1;
      if (pieces <= 1) {
        res.end(body);
        return;
      }
      const size = Math.ceil(body.length / pieces);
      let i = 0;
      const next = (): void => {
        const piece = body.subarray(i * size, (i + 1) * size);
        i++;
        piecesSent++;
        if (i >= pieces) {
          res.end(piece);
          return;
        }
        res.write(piece);
        pieceWaiters.add(next);
      };
      next();
    };
    if (gate) void gate.then(answer);
    else answer();
  };

  let server: Server = http.createServer(handler);
  const listenOn = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listenOn(opts.port ?? 0);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    set: (path, obj) => void objects.set(path, obj),
    delete: (path) => void objects.delete(path),
    count: (path) => (path === undefined ? total : (counts.get(path) ?? 0)),
    lastHeaders: (path) => headersSeen.get(path),
    hold() {
      gate ??= new Promise<void>((r) => {
        open = r;
      });
    },
    release() {
      open?.();
      gate = undefined;
      open = undefined;
    },
    sendPiece() {
      const waiting = [...pieceWaiters];
      pieceWaiters.clear();
      for (const w of waiting) w();
    },
    get piecesSent() {
      return piecesSent;
    },
    waitForRequests: (n) => (total >= n ? Promise.resolve() : new Promise<void>((resolve) => arrivals.push({ n, resolve }))),
    stop: () =>
      new Promise<void>((resolve) => {
        open?.();
        gate = undefined;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    async start() {
      server = http.createServer(handler);
      await listenOn(port);
    },
  };
}
