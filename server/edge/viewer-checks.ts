// Checks before the cache: CloudFront-style signatures on behaviors that require them, and per-client rate limits.
import type { IncomingMessage } from 'node:http';
import { resolveViewer, type TrustProxy, type Viewer } from '../core/viewer-address.ts';
import { cloudFrontBase64 } from './cloudfront/base64.ts';
import type { KeyGroup } from './cloudfront/key-group.ts';
import { MAX_POLICY_BYTES, parsePolicy } from './cloudfront/policy.ts';
import { signedCookieHeaders } from './cloudfront/signed-cookies.ts';
import { splitSignatureParams } from './cloudfront/signature-params.ts';
import type { SignedCookies } from './cloudfront/signer.ts';
import { verifyViewerRequest } from './cloudfront/verifier.ts';
import { rateLimitClientId, type RateLimiter } from '../core/rate-limiter.ts';
import type { ViewerCheck } from './routes.ts';

const MAX_POLICY_CHARS = Math.ceil(MAX_POLICY_BYTES / 3) * 4;

/** The viewer of a request (behind trusted proxies, see core/viewer-address.ts), resolved once per request. */
export type ViewerOf = (req: IncomingMessage) => Viewer;

export function viewerResolver(trust: TrustProxy | undefined): ViewerOf {
  const seen = new WeakMap<IncomingMessage, Viewer>();
  return (req) => {
    let v = seen.get(req);
    if (!v) {
      v = resolveViewer(req, trust);
      seen.set(req, v);
    }
    return v;
  };
}

const directViewer = viewerResolver(undefined);

/** The URL as the viewer asked for it, which is what a signer signed: scheme, Host, raw target. */
export function viewerUrlOf(req: IncomingMessage, viewer: Viewer = directViewer(req)): string {
  return `${viewer.isHttps ? 'https' : 'http'}://${viewer.host ?? '127.0.0.1'}${req.url ?? '/'}`;
}

/**
 * The https:// origin redirects point at: the configured public URL's host (an https public URL as it is), on the
 * HTTPS port. Never the request's Host, which a client chooses (a redirect to a host of its choosing).
 */
export function httpsBaseOf(publicUrl: string | undefined, httpsPort: number): string {
  const u = publicUrl ? new URL(publicUrl) : undefined;
  if (u?.protocol === 'https:') return u.origin;
  return `https://${u?.hostname ?? '127.0.0.1'}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
}

/**
 * CloudFront's viewer protocol policy per behavior: redirect-to-https answers 301 to the same path under `httpsBase`,
 * https-only answers 403. Requests the viewer sent over TLS pass (to this edge, or to a trusted proxy that says so).
 */
export function protocolCheck(httpsBase: string | undefined, viewerOf: ViewerOf = directViewer): ViewerCheck {
  return (req, _path, _query, behavior) => {
    const policy = behavior.viewerProtocolPolicy;
    if (policy === 'allow-all' || viewerOf(req).isHttps) return undefined;
    if (policy === 'redirect-to-https' && httpsBase !== undefined) {
      const location = `${httpsBase}${req.url ?? '/'}`;
      return { status: 301, code: 'EDGE_HTTPS_REDIRECT', message: `this path is served over HTTPS: ${location}`, reason: 'https-redirect', headers: ['Location', location] };
    }
    return { status: 403, code: 'EDGE_HTTPS_ONLY', message: 'this path is served over HTTPS only', reason: 'https-only' };
  };
}

/**
 * Signed URLs and signed cookies in CloudFront's format, checked before the cache is looked up for behaviors with
 * requireSignature. A refusal is 403 with a short reason (expired, not-yet-valid, bad-signature, unknown-key,
 * ip-not-allowed, malformed, missing), counted by reason in /metrics.
 *
 * With `urlCookies`, a playlist requested with a valid custom-policy signed URL whose Resource has a wildcard is
 * answered with the same policy as signed cookies (see signedUrlCookies), so the player's later requests for the
 * asset's playlists and segments, which carry no query, are allowed too.
 */
export function signatureCheck(keyGroup: KeyGroup, clock: () => number, opts: { urlCookies?: boolean } = {}, viewerOf: ViewerOf = directViewer): ViewerCheck {
  return (req, path, query, behavior, res) => {
    if (!behavior.requireSignature) return undefined;
    const viewer = viewerOf(req);
    const r = verifyViewerRequest({ url: viewerUrlOf(req, viewer), cookies: req.headers.cookie, clientIp: viewer.address, now: clock() }, keyGroup);
    if (r.ok) {
      if (opts.urlCookies && r.via === 'url' && r.policy === 'custom' && path.endsWith('.m3u8') && query !== undefined) {
        const cookies = signedUrlCookies(query, path, viewer.isHttps);
        if (cookies) res.setHeader('Set-Cookie', cookies);
      }
      return undefined;
    }
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
export function rateLimitCheck(limiter: RateLimiter, viewerOf: ViewerOf = directViewer): ViewerCheck {
  return async (req) => {
    const d = await limiter.take(rateLimitClientId(viewerOf(req).address || 'unknown'));
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

/**
 * Set-Cookie lines carrying a verified custom-policy signed URL's Policy, Signature and Key-Pair-Id as CloudFront
 * signed cookies. They grant nothing the URL does not: the policy (Resource, times, IP) is the same and is checked
 * again on every request. Only for a Resource with a wildcard (a canned or exact Resource covers one URL, so
 * cookies would be useless); scoped to the Resource's path up to its first wildcard (so two assets' cookies do not
 * collide), expiring with the policy. Undefined when the policy does not qualify or the path is not covered.
 */
export function signedUrlCookies(rawQuery: string, path: string, isHttps: boolean): string[] | undefined {
  const p = splitSignatureParams(rawQuery).params;
  if (p.Policy === undefined || p.Signature === undefined || p['Key-Pair-Id'] === undefined) return undefined;
  const bytes = cloudFrontBase64.decode(p.Policy, MAX_POLICY_CHARS);
  const policy = bytes ? parsePolicy(bytes) : undefined;
  if (policy === undefined || typeof policy === 'string' || policy.resource === undefined || !/[*?]/.test(policy.resource)) return undefined;
  const cookiePath = cookiePathOf(policy.resource);
  if (cookiePath === undefined || !path.startsWith(cookiePath)) return undefined;
  const cookies: SignedCookies = { 'CloudFront-Policy': p.Policy, 'CloudFront-Signature': p.Signature, 'CloudFront-Key-Pair-Id': p['Key-Pair-Id'] };
  if (p['Hash-Algorithm'] !== undefined) cookies['CloudFront-Hash-Algorithm'] = p['Hash-Algorithm'];
  try {
    // Over HTTPS SameSite=None lets a player on another site send them (with credentials); plain HTTP cannot be Secure.
    return signedCookieHeaders(cookies, { path: cookiePath, expires: new Date(policy.dateLessThan * 1000), secure: isHttps, sameSite: isHttps ? 'None' : 'Lax' });
  } catch {
    return undefined; // a value that is not cookie-safe: the URL still works, only the hand-off is skipped
  }
}

/** "https://cdn.example.com/vod/abc/*" → "/vod/abc/": the Resource's path up to the last "/" before a wildcard. */
function cookiePathOf(resource: string): string | undefined {
  const m = /^[^/]*:\/\/[^/]*(\/.*)$/.exec(resource);
  const rest = m ? (m[1] ?? '/') : '/';
  const wildcard = rest.search(/[*?]/);
  const fixed = wildcard < 0 ? rest : rest.slice(0, wildcard);
  const dir = fixed.slice(0, fixed.lastIndexOf('/') + 1);
  return /^\/[A-Za-z0-9._~/-]*$/.test(dir) ? dir : undefined;
}
