// Checks before the cache: CloudFront-style signatures on behaviors that require them, and per-client rate limits.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { verifyViewerRequest } from './cloudfront/verifier.ts';
import type { KeyGroup } from './cloudfront/key-group.ts';
import { rateLimitClientId, type RateLimiter } from './rate-limiter.ts';
import type { ViewerCheck } from './routes.ts';

/** The URL as the viewer asked for it, which is what a signer signed: scheme, Host, raw target. */
export function viewerUrlOf(req: IncomingMessage): string {
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  return `${scheme}://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`;
}

/**
 * CloudFront's viewer protocol policy per behavior: redirect-to-https answers 301 to the same path on the HTTPS
 * port, https-only answers 403. Requests that arrived over TLS pass.
 */
export function protocolCheck(httpsPort: number | undefined): ViewerCheck {
  return (req, _path, _query, behavior) => {
    const policy = behavior.viewerProtocolPolicy;
    if (policy === 'allow-all' || (req.socket as TLSSocket).encrypted) return undefined;
    if (policy === 'redirect-to-https' && httpsPort !== undefined) {
      const host = (req.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
      const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
      return { status: 301, code: 'EDGE_HTTPS_REDIRECT', message: `this path is served over HTTPS: ${location}`, reason: 'https-redirect', headers: ['Location', location] };
    }
    return { status: 403, code: 'EDGE_HTTPS_ONLY', message: 'this path is served over HTTPS only', reason: 'https-only' };
  };
}

/**
 * Signed URLs and signed cookies in CloudFront's format, checked before the cache is looked up for behaviors with
 * requireSignature. A refusal is 403 with a short reason (expired, not-yet-valid, bad-signature, unknown-key,
 * ip-not-allowed, malformed, missing), counted by reason in /metrics.
 */
export function signatureCheck(keyGroup: KeyGroup, clock: () => number): ViewerCheck {
  return (req, _path, _query, behavior) => {
    if (!behavior.requireSignature) return undefined;
    const r = verifyViewerRequest({ url: viewerUrlOf(req), cookies: req.headers.cookie, clientIp: req.socket.remoteAddress, now: clock() }, keyGroup);
    if (r.ok) return undefined;
    return {
      status: 403,
      code: 'EDGE_SIGNATURE_INVALID',
      message: `a valid CloudFront-style signature is required (${r.reason})`,
      reason: `signature-${r.reason}`,
      body: { reason: r.reason },
    };
  };
}

/** Token buckets per client address (IPv6 by /64): 429 with Retry-After (RFC 9110 §10.2.3) when empty. */
export function rateLimitCheck(limiter: RateLimiter): ViewerCheck {
  return async (req) => {
    const d = await limiter.take(rateLimitClientId(req.socket.remoteAddress ?? 'unknown'));
    if (d.allowed) return undefined;
    return {
      status: 429,
      code: 'EDGE_RATE_LIMITED',
      message: `too many requests from this client; retry in ${d.retryAfterSeconds} s`,
      reason: 'rate-limited',
      headers: ['Retry-After', String(d.retryAfterSeconds)],
    };
  };
}
