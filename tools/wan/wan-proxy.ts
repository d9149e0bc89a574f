// A WAN between two hops for the instruments: forwards every request to one target and shapes the answers (RTT, jitter, bandwidth).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type Listening } from '../../server/core/listen.ts';
import { WanShaper, type WanDescription, type WanOptions } from './wan-shaper.ts';

export interface WanProxyOptions {
  /** Where requests go, e.g. the origin: `http://127.0.0.1:8080`. */
  readonly target: string;
  readonly port: number;
  readonly host?: string;
  readonly wan: Partial<WanOptions>;
}

export interface WanProxy extends Listening {
  readonly description: WanDescription;
}

/** The proxy's own path: what it emulates, as JSON, never forwarded. */
export const WAN_INFO_PATH = '/_wan';

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

export async function startWanProxy(o: WanProxyOptions): Promise<WanProxy> {
  const target = new URL(o.target);
  if (target.protocol !== 'http:') throw new Error(`the WAN proxy forwards to http:// targets, got "${o.target}"`);
  const shaper = new WanShaper(o.wan);
  const description = shaper.describe();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const info = Buffer.from(JSON.stringify({ target: target.origin, wan: description }));

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === WAN_INFO_PATH) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': info.length, 'Cache-Control': 'no-store' }).end(info);
      return;
    }
    const headers = forwardable(req.headers);
    headers['host'] = target.host;
    const upstream = http.request({ host: target.hostname, port: target.port || 80, method: req.method, path: req.url, headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, forwardable(up.headers));
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end('WAN proxy: the target did not answer\n');
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };

  const listening = await listen(shaper.wrap(forward), { port: o.port, host: o.host ?? '127.0.0.1' });
  return {
    ...listening,
    description,
    close: async () => {
      await listening.close();
      agent.destroy();
    },
  };
}
