// Requests that are not GET/HEAD (a behavior allowing OPTIONS or all methods): forwarded uncached, then RFC 9111 §4.4.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, UpstreamError } from '../core/errors.ts';
import type { CacheBehavior } from './behaviors.ts';
import { deliverError, passHead, StreamedResponse } from './deliver.ts';
import type { Edge } from './exchange.ts';
import { invalidatedPaths, invalidatesStored } from './methods.ts';
import { discardBody, type ForwardRequest, type UpstreamResponse } from './origin-client.ts';
import { forwardedRequestHeaders } from './response-headers.ts';

/** The upstream half of a pass: the OriginClient's forward (absent for fake upstreams in unit tests). */
export type Forwarder = (r: ForwardRequest) => Promise<UpstreamResponse>;
/** Purges paths from every edge (invalidation.ts), resolved once this edge no longer serves them. */
export type Invalidate = (paths: readonly string[]) => Promise<void>;

export interface PassOptions {
  readonly edge: Edge;
  readonly forward: Forwarder;
  readonly invalidate: Invalidate;
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Status and bytes written, for the access log and metrics. */
export async function passToOrigin(req: IncomingMessage, res: ServerResponse, path: string, query: string | undefined, behavior: CacheBehavior, o: PassOptions): Promise<{ status: number; bytes: number }> {
  const method = req.method ?? 'GET';
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  const headers = forwardedRequestHeaders(req.headers, behavior);
  // A body's framing is the edge's to write; its type and length travel with it.
  if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
  if (req.headers['content-length'] && !req.headers['transfer-encoding']) headers['content-length'] = req.headers['content-length'];
  let up: UpstreamResponse;
  try {
    up = await o.forward({ method, pathAndQuery: query === undefined ? path : `${path}?${query}`, headers, body: hasBody ? req : undefined });
  } catch (err) {
    const e = err instanceof AppError ? err : new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, `upstream failed for ${method} ${path}`, err);
    return { status: e.status, bytes: deliverError(res, e, o.edge.common) };
  }
  if (invalidatesStored(method, up.status)) {
    const paths = invalidatedPaths(path, req.headers.host, one(up.headers['location']), one(up.headers['content-location']));
    try {
      await o.invalidate(paths);
    } catch (err) {
      o.edge.logger.warn({ err, paths }, 'invalidation after an unsafe method failed');
    }
  }
  const out = new StreamedResponse(res);
  passHead(res, up.status, up.headers, o.edge.common, up.upstream, behavior.stripResponseHeaders);
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      if (out.isGone) break;
      await out.write(chunk, true);
    }
    out.end();
  } catch (err) {
    o.edge.logger.warn({ path, err: (err as Error).message }, 'upstream body failed while passing');
    out.cut();
  }
  if (!up.body.readableEnded) discardBody(up.body);
  return { status: up.status, bytes: out.bytes };
}

