// The parts of the HTTP shell every role shares that need no Express: the request id, one log line and the metrics
// per request, the /healthz answer and JSON bodies. core/http.ts builds the Express shell on them; the edge answers
// /healthz and /metrics with them on raw node:http, so an idle edge (polled by routers) never loads Express.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './log.ts';
import { requestKind, statusClass, type HttpMetrics } from './metrics.ts';

export interface HealthReport {
  /** false makes /healthz answer 503 (load balancers and the router take the node out). */
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

export interface RequestAccounting {
  readonly logger: Logger;
  readonly metrics: HttpMetrics;
}

const REQ_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

/**
 * Gives the request its id (the caller's X-Request-Id when well-formed, else a new one) and sets it on the response;
 * when the response finishes, counts it (requests, bytes, duration by kind) and logs one line. Returns the id.
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse, opts: RequestAccounting, path: () => string = () => pathOf(req.url)): string {
  const incoming = req.headers['x-request-id'];
  const reqId = typeof incoming === 'string' && REQ_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', reqId);
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const p = path();
    const kind = requestKind(p);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const bytes = Number(res.getHeader('content-length') ?? 0) || 0;
    opts.metrics.requests.inc({ kind, status_class: statusClass(res.statusCode) });
    if (req.method !== 'HEAD') opts.metrics.bytes.inc({ kind }, bytes);
    opts.metrics.duration.observe({ kind }, ms / 1000);
    opts.logger.info({ reqId, method: req.method, path: p, status: res.statusCode, bytes, ms: Math.round(ms * 10) / 10 }, 'request');
  });
  return reqId;
}

/** A JSON body as Express's res.json() sends it (same Content-Type and length), never stored by caches. */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** GET /healthz of a role: 200 with its report, or 503 when the report says it is not ok. */
export async function healthAnswer(role: string, health: (() => Promise<HealthReport> | HealthReport) | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
  const report = health ? await health() : { ok: true };
  return { status: report.ok ? 200 : 503, body: { role, ...report } };
}
