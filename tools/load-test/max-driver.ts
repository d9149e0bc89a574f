// The hot loop of --mode max: a fixed set of keep-alive connections, each sending the next request as the last ends.
import { Client, type Dispatcher } from 'undici';
import { classifyError } from './load-client.ts';
import { LoadStats } from './load-stats.ts';

interface Target {
  readonly origin: string;
  readonly options: Dispatcher.DispatchOptions;
}

/** "x-cache" as bytes, to spot the header in undici's raw header list without making strings of the others. */
const X_CACHE = Buffer.from('x-cache');

/** The values the edge sends, as bytes: a known value is matched without allocating a string. */
const KNOWN_X_CACHE = ['HIT', 'MISS', 'STALE', 'REVALIDATED', 'BYPASS', 'ERROR'].map((v) => ({ value: v, bytes: Buffer.from(v) }));

function xCacheValue(raw: Buffer | string | undefined): string | undefined {
  if (raw === undefined || typeof raw === 'string') return raw;
  for (const k of KNOWN_X_CACHE) if (raw.equals(k.bytes)) return k.value;
  return raw.toString('latin1');
}

function isXCache(name: Buffer | string): boolean {
  if (typeof name === 'string') return name.toLowerCase() === 'x-cache';
  if (name.length !== 7) return false;
  for (let i = 0; i < 7; i++) if (((name[i] ?? 0) | 0x20) !== X_CACHE[i]) return false;
  return true;
}

/**
 * One connection's request loop, written against undici's low-level dispatch handler: the body arrives as views into
 * the parser's buffer, which we only count, so no body is copied or kept, and the handler object is reused for every
 * request of the loop (no per-request closures or promises).
 */
class Loop {
  private readonly driver: MaxDriver;
  /** This loop's own connection per origin: a loop never waits for another loop's connection. */
  private readonly clients = new Map<string, Client>();
  private index: number;
  private started = 0;
  private headersAt = 0;
  private status = 0;
  private bytes = 0;
  private xCache: string | undefined;

  /** Built once: the next request is queued as a microtask, without a closure per request. */
  private readonly nextSoon = (): void => this.next();

  constructor(driver: MaxDriver, firstIndex: number) {
    this.driver = driver;
    this.index = firstIndex;
  }

  next(): void {
    const d = this.driver;
    if (d.isStopping) {
      d.loopIdle();
      return;
    }
    const target = d.targets[this.index] as Target;
    this.index = (this.index + 1) % d.targets.length;
    this.status = 0;
    this.bytes = 0;
    this.xCache = undefined;
    this.started = performance.now();
    let client = this.clients.get(target.origin);
    if (!client) {
      client = d.newClient(target.origin);
      this.clients.set(target.origin, client);
    }
    client.dispatch(target.options, this);
  }

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    this.headersAt = performance.now();
    this.status = statusCode;
    if (rawHeaders) {
      for (let i = 0; i < rawHeaders.length; i += 2) {
        const name = rawHeaders[i];
        if (name !== undefined && isXCache(name)) this.xCache = xCacheValue(rawHeaders[i + 1]);
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    const d = this.driver;
    d.stats.recordResponse(d.kind, this.status, this.bytes, (performance.now() - this.started) * 1000, this.xCache, (this.headersAt - this.started) * 1000);
    // Not from inside undici's parser callback: by the microtask, undici has settled the socket (kept it, or closed it
    // for "Connection: close"), so the next request goes to a usable connection at once.
    queueMicrotask(this.nextSoon);
  }

  onError(err: Error): void {
    const d = this.driver;
    if (d.isAborted) {
      d.stats.aborted += 1;
      d.loopIdle();
      return;
    }
    d.stats.recordError(classifyError(err));
    // A refused or reset connection fails at once; pause so a dead server does not turn this into a busy loop.
    setTimeout(() => this.next(), 100);
  }
}

export interface MaxDriverOptions {
  readonly urls: readonly string[];
  readonly connections: number;
  readonly timeoutMs: number;
}

export class MaxDriver {
  readonly stats = new LoadStats();
  readonly targets: Target[];
  readonly kind: 'playlist' | 'segment';
  isStopping = false;
  isAborted = false;
  private readonly clients: Client[] = [];
  private readonly connections: number;
  private readonly timeoutMs: number;
  private idle = 0;
  private onAllIdle: (() => void) | undefined;

  constructor(opts: MaxDriverOptions) {
    if (opts.urls.length === 0) throw new Error('max mode needs at least one URL');
    this.targets = opts.urls.map((url) => {
      const u = new URL(url);
      // One options object per URL, built once and reused by every request.
      return { origin: u.origin, options: { origin: u.origin, path: u.pathname + u.search, method: 'GET', headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs } };
    });
    this.connections = opts.connections;
    this.timeoutMs = opts.timeoutMs;
    this.kind = opts.urls.every((u) => /\.m3u8(\?|$)/.test(u)) ? 'playlist' : 'segment';
  }

  /**
   * A keep-alive connection for one loop. Each loop has at most one request outstanding on it, so on the wire this is
   * HTTP/1.1 without pipelining. It is configured with pipelining 2 only because undici, at pipelining 1, waits a
   * full event-loop turn (setImmediate) before reusing a socket; that wait, not the work, capped the request rate.
   */
  newClient(origin: string): Client {
    const client = new Client(origin, { pipelining: 2, keepAliveTimeout: 30_000, connect: { timeout: this.timeoutMs } });
    this.clients.push(client);
    return client;
  }

  start(): void {
    // Loops start at different URLs so a set of segments is spread over the connections from the first request.
    for (let i = 0; i < this.connections; i++) new Loop(this, i % this.targets.length).next();
  }

  loopIdle(): void {
    this.idle += 1;
    if (this.idle >= this.connections) this.onAllIdle?.();
  }

  /** Stop sending; resolves when every loop finished its last request, or at once after abort(). */
  stop(): Promise<void> {
    this.isStopping = true;
    return new Promise((resolve) => {
      if (this.idle >= this.connections) resolve();
      else this.onAllIdle = resolve;
    });
  }

  /** The grace period is over: cut what is in flight. */
  async abort(): Promise<void> {
    this.isStopping = true;
    this.isAborted = true;
    await Promise.all(this.clients.map((c) => c.destroy()));
    this.onAllIdle?.();
  }

  /** Release the connections (after stop() resolved, nothing is in flight). */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => (c.destroyed ? undefined : c.destroy())));
  }
}
