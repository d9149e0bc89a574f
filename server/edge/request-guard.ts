// Rejects hostile viewer requests before the cache: odd paths, bodies on GET, routing-override headers.
import type { IncomingHttpHeaders } from 'node:http';
import { hasDuplicateHost } from '../core/host-header.ts';

export type GuardResult =
  | { readonly ok: true; readonly path: string; readonly query: string | undefined }
  | { readonly ok: false; readonly reason: string; readonly message: string };

const MAX_URL_LENGTH = 8192;
/**
 * Media paths are /vod|live followed by 1-8 segments of letters, digits, "_", "-" and ".", none starting with
 * "." (so no "..", no hidden files) and no percent-encoding at all: asset ids, rendition names and segment file
 * names never need it, and refusing it removes every encoded-traversal trick (%2e%2e, %2f, %5c, overlong UTF-8).
 */
const MEDIA_PATH = /^\/(?:vod|live)(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){1,8}$/;
/**
 * Any other path a behavior claims: RFC 3986 path characters and valid percent-escapes, but no dot segments, no
 * encoded slash, backslash, dot or NUL (so the key and the origin's reading of the path cannot disagree), at most 2 KiB.
 */
const GENERAL_PATH = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%(?!2[fFeE]|5[cC]|00)[0-9A-Fa-f]{2})*){1,128}$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
/** A Host header is a name or an IP literal with an optional port (RFC 9110 §7.2). */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
/** Headers some frameworks use to re-route a request after the cache key is chosen: classic cache poisoning. */
const OVERRIDE_HEADERS = ['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-http-method', 'x-method-override'] as const;

function bad(reason: string, message: string): GuardResult {
  return { ok: false, reason, message };
}

export function guardViewerRequest(url: string, headers: IncomingHttpHeaders, rawHeaders: readonly string[] = [], method = 'GET'): GuardResult {
  if (url.length > MAX_URL_LENGTH) return bad('url-too-long', `request target must be at most ${MAX_URL_LENGTH} characters`);
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (/^\/(?:vod|live)(?:\/|$)/.test(path)) {
    if (!MEDIA_PATH.test(path)) {
      return bad('bad-path', 'media paths are /vod/… or /live/… made of letters, digits, "_", "-" and "." (no encoded characters, no dot segments)');
    }
  } else if (path.length > 2048 || !GENERAL_PATH.test(path) || DOT_SEGMENT.test(path)) {
    return bad('bad-path', 'a path must be made of RFC 3986 path characters, without dot segments or encoded "/", "\\", "." or NUL');
  }
  if (q >= 0 && url.indexOf('#', q) >= 0) return bad('bad-query', 'a request target must not contain "#"');
  // A body on GET/HEAD is how request smuggling desyncs a cache from the server behind it.
  const cl = headers['content-length'];
  if ((method === 'GET' || method === 'HEAD') && (headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0'))) {
    return bad('body-on-get', 'GET and HEAD requests must not carry a body');
  }
  for (const h of OVERRIDE_HEADERS) {
    if (headers[h] !== undefined) return bad('override-header', `the ${h} header is not accepted`);
  }
  // RFC 9112 §3.2: more than one Host is a 400 (Node keeps only the first in `headers`).
  if (hasDuplicateHost({ rawHeaders: rawHeaders as string[] })) return bad('duplicate-host', 'a request must carry exactly one Host header (RFC 9112 §3.2)');
  const host = headers.host;
  if (host !== undefined && !HOST.test(host)) return bad('bad-host', 'the Host header must be a host name or IP literal with an optional port');
  return { ok: true, path, query: q < 0 ? undefined : url.slice(q + 1) };
}
