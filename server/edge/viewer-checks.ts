// Checks before the cache: CloudFront-style signatures on behaviors that require them, and per-client rate limits.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { cloudFrontBase64 } from './cloudfront/base64.ts';
import type { KeyGroup } from './cloudfront/key-group.ts';
import { MAX_POLICY_BYTES, parsePolicy } from './cloudfront/policy.ts';
import { signedCookieHeaders } from './cloudfront/signed-cookies.ts';
import { splitSignatureParams } from './cloudfront/signature-params.ts';
import type { SignedCookies } from './cloudfront/signer.ts';
import { verifyViewerRequest } from './cloudfront/verifier.ts';
import { rateLimitClientId, type RateLimiter } from './rate-limiter.ts';
import type { ViewerCheck } from './routes.ts';

const MAX_POLICY_CHARS = Math.ceil(MAX_POLICY_BYTES / 3) * 4;

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
 *
 * With `urlCookies`, a playlist requested with a valid custom-policy signed URL whose Resource has a wildcard is
 * answered with the same policy as signed cookies (see signedUrlCookies), so the player's later requests for the
 * asset's playlists and segments, which carry no query, are allowed too.
 */
export function signatureCheck(keyGroup: KeyGroup, clock: () => number, opts: { urlCookies?: boolean } = {}): ViewerCheck {
  return (req, path, query, behavior, res) => {
    if (!behavior.requireSignature) return undefined;
    const r = verifyViewerRequest({ url: viewerUrlOf(req), cookies: req.headers.cookie, clientIp: req.socket.remoteAddress, now: clock() }, keyGroup);
    if (r.ok) {
      if (opts.urlCookies && r.via === 'url' && r.policy === 'custom' && path.endsWith('.m3u8') && query !== undefined) {
        const cookies = signedUrlCookies(query, path, (req.socket as TLSSocket).encrypted === true);
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
