// Start an HTTP server on a port (0 = any free one) and stop it cleanly: the one way every role and test listens.
import http, { type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
  /** Slow clients must not hold sockets forever. */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly keepAliveTimeoutMs?: number;
  readonly maxHeaderSize?: number;
  /** A socket with no bytes moving either way for this long is closed (a client that stopped reading its response). */
  readonly idleTimeoutMs?: number;
}

/** What every role's HTTP and HTTPS servers use unless told otherwise. */
export const SERVER_LIMITS = { headersTimeoutMs: 20_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 5_000, maxHeaderSize: 16 * 1024, idleTimeoutMs: 60_000 } as const;

/**
 * Options for http(s).createServer. Node enforces headersTimeout and requestTimeout only when it sweeps its connections,
 * every connectionsCheckingInterval (30 s by default): a slowloris connection was cut 20-50 s in, not at 20 s. Sweeping
 * every second keeps the cut within a second of the limit.
 */
export const SERVER_OPTIONS = { maxHeaderSize: SERVER_LIMITS.maxHeaderSize, connectionsCheckingInterval: 1_000 } as const;

/** Applies the time limits to any node:http(s) server, so slow or idle clients cannot hold its sockets. */
export function applyServerLimits(server: Server, opts: Omit<ListenOptions, 'port' | 'host' | 'maxHeaderSize'> = {}): void {
  server.headersTimeout = opts.headersTimeoutMs ?? SERVER_LIMITS.headersTimeoutMs;
  server.requestTimeout = opts.requestTimeoutMs ?? SERVER_LIMITS.requestTimeoutMs;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? SERVER_LIMITS.keepAliveTimeoutMs;
  // Without a 'timeout' listener Node destroys the socket when this fires.
  server.timeout = opts.idleTimeoutMs ?? SERVER_LIMITS.idleTimeoutMs;
}

export async function listen(handler: RequestListener, opts: ListenOptions): Promise<Listening> {
  const headersTimeoutMs = opts.headersTimeoutMs ?? SERVER_LIMITS.headersTimeoutMs;
  const server = http.createServer(
    {
      ...SERVER_OPTIONS,
      maxHeaderSize: opts.maxHeaderSize ?? SERVER_LIMITS.maxHeaderSize,
      // A short header timeout (tests) needs a finer sweep to be kept.
      connectionsCheckingInterval: Math.max(50, Math.min(SERVER_OPTIONS.connectionsCheckingInterval, Math.floor(headersTimeoutMs / 10))),
    },
    handler,
  );
  applyServerLimits(server, opts);
  return listenServer(server, opts.port, opts.host ?? '127.0.0.1');
}

export async function listenServer(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: addr.port,
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Give in-flight responses a moment, then cut what remains.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
