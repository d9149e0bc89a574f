// One request to an upstream on node:http's keep-alive agents, with time limits on connecting, on the response head
// and on a silent body. node:http rather than undici: the edge already carries node:http's parser for its viewers,
// while undici compiles a WebAssembly parser of its own on the first connection (about 10 MiB per worker,
// docs/BUILD.md), for requests that need nothing node:http lacks.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { RawHeaders } from './response-headers.ts';

export type UpstreamTimeoutCode = 'UPSTREAM_CONNECT_TIMEOUT' | 'UPSTREAM_HEADERS_TIMEOUT' | 'UPSTREAM_BODY_TIMEOUT';

export class UpstreamTimeout extends Error {
  constructor(readonly code: UpstreamTimeoutCode, message: string) {
    super(message);
    this.name = 'UpstreamTimeout';
  }
}

export interface UpstreamAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

/** Keep-alive agents: at most `maxSockets` connections per upstream, idle ones closed after `idleMs`. */
export function upstreamAgents(maxSockets: number, idleMs: number): UpstreamAgents {
  const o = { keepAlive: true, maxSockets, timeout: idleMs, scheduling: 'lifo' as const };
  return { http: new http.Agent(o), https: new https.Agent(o) };
}

export function closeAgents(a: UpstreamAgents): void {
  a.http.destroy();
  a.https.destroy();
}

export interface UpstreamCall {
  /** The upstream's origin (scheme, host, port); `path` is sent as is. */
  readonly base: URL;
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Readable | undefined;
  readonly connectTimeoutMs: number;
  /** From sending the request to the response head. */
  readonly headersTimeoutMs: number;
  /** Longest silence on the connection while the body arrives (a viewer's backpressure pauses it too). */
  readonly bodyTimeoutMs: number;
}

export interface UpstreamReply {
  readonly statusCode: number;
  /** Lower-case names; a field sent more than once is an array of its lines, in order. */
  readonly headers: RawHeaders;
  readonly body: IncomingMessage;
}

/**
 * Sends the request and resolves with the head; the body is the caller's to read or destroy. A request without a body
 * that fails on a kept-alive connection the upstream had just closed (ECONNRESET/EPIPE before any answer) is sent
 * once more on a new connection, as Node's documentation advises: the upstream never saw it.
 */
export async function upstreamRequest(agents: UpstreamAgents, call: UpstreamCall): Promise<UpstreamReply> {
  try {
    return await attempt(agents, call);
  } catch (err) {
    if (call.body === undefined && err instanceof StaleSocket) return attempt(agents, call);
    throw err instanceof StaleSocket ? err.original : err;
  }
}

/** A kept-alive connection closed by the upstream under a request it never answered. */
class StaleSocket extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }
}

function attempt(agents: UpstreamAgents, call: UpstreamCall): Promise<UpstreamReply> {
  const isHttps = call.base.protocol === 'https:';
  return new Promise<UpstreamReply>((resolve, reject) => {
    const req = (isHttps ? https : http).request({
      protocol: call.base.protocol,
      hostname: call.base.hostname,
      port: call.base.port === '' ? undefined : call.base.port,
      path: call.path,
      method: call.method,
      headers: call.headers,
      agent: isHttps ? agents.https : agents.http,
    });
    let answered = false;
    const fail = (err: Error): void => {
      if (answered) return;
      answered = true;
      clearTimeout(headTimer);
      req.destroy();
      reject(err);
    };
    const where = `${call.method} ${call.base.origin}${call.path}`;
    const headTimer = setTimeout(() => fail(new UpstreamTimeout('UPSTREAM_HEADERS_TIMEOUT', `no response head within ${call.headersTimeoutMs} ms for ${where}`)), call.headersTimeoutMs);
    req.once('socket', (socket) => {
      if (!socket.connecting) return;
      // No Nagle delay on the request (undici's sockets had none either).
      socket.setNoDelay(true);
      const t = setTimeout(() => fail(new UpstreamTimeout('UPSTREAM_CONNECT_TIMEOUT', `no connection within ${call.connectTimeoutMs} ms to ${call.base.origin}`)), call.connectTimeoutMs);
      const done = (): void => clearTimeout(t);
      socket.once('connect', done);
      socket.once('close', done);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      fail(stale ? new StaleSocket(err) : err);
    });
    req.once('response', (res) => {
      if (answered) {
        res.destroy();
        return;
      }
      answered = true;
      clearTimeout(headTimer);
      watchBody(res, call.bodyTimeoutMs, where);
      resolve({ statusCode: res.statusCode ?? 502, headers: headersOf(res.rawHeaders), body: res });
    });
    if (call.body) {
      call.body.once('error', (err) => req.destroy(err));
      call.body.pipe(req);
    } else {
      req.end();
    }
  });
}

/** A body whose connection stays silent for `ms` is destroyed with UPSTREAM_BODY_TIMEOUT. */
function watchBody(res: IncomingMessage, ms: number, where: string): void {
  const socket = res.socket;
  if (!socket || res.complete) return;
  const onTimeout = (): void => {
    res.destroy(new UpstreamTimeout('UPSTREAM_BODY_TIMEOUT', `the body stalled for ${ms} ms on ${where}`));
  };
  socket.setTimeout(ms);
  socket.on('timeout', onTimeout);
  // Back in the agent's pool, the socket gets the agent's idle limit again (node:http does that on 'free').
  const stop = (): void => {
    socket.off('timeout', onTimeout);
  };
  res.once('end', stop);
  res.once('close', stop);
}

/** The head's fields as undici gave them: lower-case names, a repeated field as an array (null prototype). */
export function headersOf(raw: readonly string[]): RawHeaders {
  const h = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const prev = h[name];
    if (prev === undefined) h[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else h[name] = [prev, value];
  }
  return h;
}
