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
}

export async function listen(handler: RequestListener, opts: ListenOptions): Promise<Listening> {
  const server = http.createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16 * 1024 }, handler);
  server.headersTimeout = opts.headersTimeoutMs ?? 20_000;
  server.requestTimeout = opts.requestTimeoutMs ?? 120_000;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
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

/** Run `stop` once on SIGINT/SIGTERM, then exit. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 0));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
