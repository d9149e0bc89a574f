// Fetches from upstream: the shield edge if configured, then the origins in order, with keep-alive and failover.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { UpstreamError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import type { RawHeaders, Upstream } from './cache-entry.ts';
import { applicableSurrogateControl, surrogateCapabilityOf } from './surrogate-control.ts';
import { closeAgents, upstreamAgents, upstreamRequest, UpstreamTimeout, type UpstreamAgents } from './upstream-request.ts';

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: RawHeaders;
  readonly body: Readable;
  readonly upstream: Upstream;
  readonly baseUrl: string;
  /** Real time the request was sent (RFC 9111 §4.2.3 request_time). */
  readonly requestedAt?: number;
  /** Real time the response head arrived (RFC 9111 §4.2.3 response_time). */
  readonly respondedAt?: number;
  /** The Surrogate-Control directives meant for this edge (surrogate-control.ts), read as Cache-Control. */
  readonly surrogateControl?: string | undefined;
}

/** A request that is not a cacheable GET, passed through to the origin (pass.ts). */
export interface ForwardRequest {
  readonly method: string;
  readonly pathAndQuery: string;
  readonly headers: Record<string, string>;
  readonly body: Readable | undefined;
}

export interface Validators {
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
}

export interface OriginClientOptions {
  readonly origins: readonly string[];
  readonly shield?: string | undefined;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** A failed upstream is tried last for this long, so one dead origin does not slow every miss. */
  readonly downMs: number;
  /** `1.1 <edge-id> (edgeline)`: sent upstream so a shield (or a loop) can see who asked. */
  readonly via: string;
  readonly userAgent: string;
  /** This edge's device token for Surrogate-Capability / Surrogate-Control targeting (its id). */
  readonly surrogateToken?: string;
  /** Extra headers per request, e.g. origin access control signatures. */
  readonly signHeaders?: (method: string, pathAndQuery: string) => Record<string, string>;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
}

interface Target {
  readonly base: URL;
  readonly origin: string;
  readonly basePath: string;
  readonly upstream: Upstream;
  downUntil: number;
}

type Failure = 'timeout' | 'unreachable' | 'error_status';

function isTimeout(err: unknown): boolean {
  return err instanceof UpstreamTimeout || (err as { code?: unknown }).code === 'ETIMEDOUT';
}

function detailOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : (err as Error).message;
}

/** Drop an upstream body we will not read; its "aborted" error is expected and must not go unhandled. */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

export class OriginClient {
  private readonly agents: UpstreamAgents;
  private readonly targets: Target[];

  constructor(private readonly opts: OriginClientOptions) {
    this.agents = upstreamAgents(256, 30_000);
    const target = (url: string, upstream: Upstream): Target => {
      const base = new URL(url);
      return { base, origin: base.origin, basePath: base.pathname.replace(/\/+$/, ''), upstream, downUntil: 0 };
    };
    this.targets = [...(opts.shield ? [target(opts.shield, 'shield')] : []), ...opts.origins.map((o) => target(o, 'origin'))];
  }

  /** Shield first, then origins in order; upstreams that failed recently go last. */
  private order(): Target[] {
    const now = this.opts.clock();
    const up = this.targets.filter((t) => t.downUntil <= now);
    const down = this.targets.filter((t) => t.downUntil > now);
    return [...up, ...down];
  }

  /**
   * GET one object. Connection errors, timeouts and 5xx move on to the next upstream; anything else (including
   * 404 and 304) is the answer, and so is the last upstream's 5xx (its status passes through to the viewer).
   * Throws UpstreamError (502, or 504 when the last problem was a timeout) when no upstream answered at all.
   * `viewerHeaders` are the viewer's fields the behavior sends on (response-headers.ts); the edge's own win.
   */
  async fetch(pathAndQuery: string, validators?: Validators, viewerHeaders?: Record<string, string>): Promise<UpstreamResponse> {
    let lastFailure: Failure = 'unreachable';
    let lastDetail = '';
    const order = this.order();
    for (const [i, t] of order.entries()) {
      const path = `${t.basePath}${pathAndQuery}`;
      const headers: Record<string, string> = { ...viewerHeaders, via: this.opts.via };
      if (this.opts.surrogateToken) headers['surrogate-capability'] = surrogateCapabilityOf(this.opts.surrogateToken);
      if (!viewerHeaders?.['user-agent']) headers['user-agent'] = this.opts.userAgent;
      if (validators?.etag) headers['if-none-match'] = validators.etag;
      if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
      if (this.opts.signHeaders) Object.assign(headers, this.opts.signHeaders('GET', path));
      try {
        const requestedAt = Date.now();
        const res = await upstreamRequest(this.agents, { base: t.base, path, method: 'GET', headers, ...this.limits() });
        if (res.statusCode >= 500 && i === order.length - 1) {
          this.failed(t, 'error_status', `answered ${res.statusCode}`);
          return { status: res.statusCode, headers: res.headers, body: res.body, upstream: t.upstream, baseUrl: t.base.href, requestedAt, respondedAt: Date.now(), surrogateControl: this.surrogateOf(res.headers) };
        }
        if (res.statusCode >= 500) {
          discardBody(res.body);
          lastFailure = 'error_status';
          lastDetail = `answered ${res.statusCode}`;
          this.failed(t, lastFailure, lastDetail);
          continue;
        }
        t.downUntil = 0;
        const result = res.statusCode === 304 ? 'not_modified' : res.statusCode === 404 || res.statusCode === 410 ? 'negative' : 'ok';
        this.opts.metrics.originFetches.inc({ upstream: t.upstream, result });
        return { status: res.statusCode, headers: res.headers, body: res.body, upstream: t.upstream, baseUrl: t.base.href, requestedAt, respondedAt: Date.now(), surrogateControl: this.surrogateOf(res.headers) };
      } catch (err) {
        lastFailure = isTimeout(err) ? 'timeout' : 'unreachable';
        lastDetail = detailOf(err);
        this.failed(t, lastFailure, lastDetail);
      }
    }
    const where = this.targets.length === 1 ? 'the origin' : `all ${this.targets.length} upstreams`;
    if (lastFailure === 'timeout') {
      throw new UpstreamError('EDGE_ORIGIN_TIMEOUT', 504, `${where} timed out for ${pathAndQuery} (${lastDetail})`);
    }
    if (lastFailure === 'error_status') {
      throw new UpstreamError('EDGE_ORIGIN_ERROR', 502, `${where} failed for ${pathAndQuery} (${lastDetail})`);
    }
    throw new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, `${where} could not be reached for ${pathAndQuery} (${lastDetail})`);
  }

  private limits(): { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number } {
    return { connectTimeoutMs: this.opts.connectTimeoutMs, headersTimeoutMs: this.opts.headersTimeoutMs, bodyTimeoutMs: this.opts.bodyTimeoutMs };
  }

  private surrogateOf(h: RawHeaders): string | undefined {
    return this.opts.surrogateToken ? applicableSurrogateControl(h['surrogate-control'], this.opts.surrogateToken) : undefined;
  }

  /**
   * Passes one request that is not a cacheable GET to the first upstream (no failover: the method may not be
   * idempotent). Throws UpstreamError like fetch when nothing answered.
   */
  async forward(r: ForwardRequest): Promise<UpstreamResponse> {
    const t = this.order()[0];
    if (!t) throw new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, 'no upstream configured');
    const path = `${t.basePath}${r.pathAndQuery}`;
    const headers: Record<string, string> = { ...r.headers, via: this.opts.via };
    if (this.opts.signHeaders) Object.assign(headers, this.opts.signHeaders(r.method, path));
    try {
      const requestedAt = Date.now();
      const res = await upstreamRequest(this.agents, { base: t.base, path, method: r.method, headers, body: r.body, ...this.limits() });
      this.opts.metrics.originFetches.inc({ upstream: t.upstream, result: res.statusCode >= 500 ? 'error_status' : 'ok' });
      return { status: res.statusCode, headers: res.headers, body: res.body, upstream: t.upstream, baseUrl: t.base.href, requestedAt, respondedAt: Date.now() };
    } catch (err) {
      const timedOut = isTimeout(err);
      this.failed(t, timedOut ? 'timeout' : 'unreachable', detailOf(err));
      if (timedOut) throw new UpstreamError('EDGE_ORIGIN_TIMEOUT', 504, `the origin timed out for ${r.method} ${r.pathAndQuery}`);
      throw new UpstreamError('EDGE_ORIGIN_UNREACHABLE', 502, `the origin could not be reached for ${r.method} ${r.pathAndQuery}`, err);
    }
  }

  private failed(t: Target, failure: Failure, detail: string): void {
    this.opts.metrics.originFetches.inc({ upstream: t.upstream, result: failure });
    t.downUntil = this.opts.clock() + this.opts.downMs;
    this.opts.logger.warn({ upstream: t.upstream, url: t.base.href, failure, detail }, 'upstream failed; trying the next one');
  }

  /** GET /healthz on each origin (not the shield), for the edge's own /healthz. */
  async probe(timeoutMs: number): Promise<Array<{ url: string; reachable: boolean; status?: number }>> {
    return Promise.all(
      this.targets
        .filter((t) => t.upstream === 'origin')
        .map(async (t) => {
          try {
            const path = `${t.basePath}/healthz`;
            const headers: Record<string, string> = { via: this.opts.via, 'user-agent': this.opts.userAgent };
            if (this.opts.signHeaders) Object.assign(headers, this.opts.signHeaders('GET', path));
            const res = await upstreamRequest(this.agents, { base: t.base, path, method: 'GET', headers, connectTimeoutMs: timeoutMs, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
            // Read to its end, so the connection goes back to the pool for the next probe.
            await finished(res.body.resume());
            return { url: t.base.href, reachable: res.statusCode < 500, status: res.statusCode };
          } catch {
            return { url: t.base.href, reachable: false };
          }
        }),
    );
  }

  async close(): Promise<void> {
    closeAgents(this.agents);
  }
}
