// The viewer's URL in the forms a signer may have signed: as received, and as AWS's signer normalizes it.

/** Longer request URLs are refused before parsing (CloudFront's own limit is 8,192 bytes). */
export const MAX_VIEWER_URL_CHARS = 16_384;

export interface ViewerUrl {
  /** `scheme://host[:port]` exactly as given. */
  readonly origin: string;
  /** Raw path, still percent-encoded, starting with `/`. */
  readonly path: string;
  /** Raw query without `?` ('' when absent). */
  readonly query: string;
}

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+)(\/[^?#]*)(?:\?([^#]*))?$/;
// No whitespace or control characters: a request line cannot carry them, so their presence means tampering.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x20\x7f]/;

/** Splits a full viewer URL; a string return is the problem. */
export function parseViewerUrl(url: string): ViewerUrl | string {
  if (url.length > MAX_VIEWER_URL_CHARS) return `URL is longer than ${MAX_VIEWER_URL_CHARS} characters`;
  if (CONTROL.test(url)) return 'URL contains whitespace or control characters';
  const m = URL_SHAPE.exec(url);
  if (!m) return 'URL must be scheme://host/path[?query]';
  const path = m[2] ?? '/';
  const problem = pathProblem(path);
  if (problem) return problem;
  return { origin: m[1] ?? '', path, query: m[3] ?? '' };
}

/**
 * Refuses paths whose meaning changes after decoding: dot segments and encoded separators. A wildcard policy for
 * /vod/abc/* must not admit /vod/abc/../other/ (RFC 3986 §5.2.4 would resolve it somewhere else).
 */
function pathProblem(path: string): string | undefined {
  for (const segment of path.split('/')) {
    let decoded = segment;
    if (segment.includes('%')) {
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return 'URL path is not valid percent-encoding';
      }
    }
    if (decoded === '.' || decoded === '..') return 'URL path must not contain dot segments';
    if (/[/\\]/.test(decoded) || decoded.includes('\0')) return 'URL path segments must not encode "/", "\\" or NUL';
  }
  return undefined;
}

/** The path as @aws-sdk/cloudfront-signer writes it before signing: each segment decoded and re-encoded. */
export function awsCanonicalPath(path: string): string {
  return path.replace(/[^/]+/g, (segment) => {
    try {
      return encodeURIComponent(decodeURIComponent(segment));
    } catch {
      return encodeURIComponent(segment);
    }
  });
}

function encodeQueryComponent(component: string): string {
  const wellFormed = component.replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
  return wellFormed
    .split(/(%[0-9A-Fa-f]{2}|\+)/g)
    .map((part, i) => (i % 2 === 1 ? (part === '+' ? '+' : part.toUpperCase()) : encodeURIComponent(part).replace(/'/g, '%27')))
    .join('');
}

/** The query as @aws-sdk/cloudfront-signer writes it: empty pairs dropped, every name and value given an `=`, encoded. */
export function awsCanonicalQuery(query: string): string {
  return query
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? '' : pair.slice(eq + 1);
      return `${encodeQueryComponent(name)}=${encodeQueryComponent(value)}`;
    })
    .join('&');
}

function join(origin: string, path: string, query: string): string {
  return query === '' ? `${origin}${path}` : `${origin}${path}?${query}`;
}

/**
 * The resource URLs this request may have been signed as: exactly as received, then (when different) as AWS's signer
 * normalizes it. `query` must already be free of signature parameters.
 */
export function resourceCandidates(origin: string, path: string, query: string): string[] {
  const raw = join(origin, path, query);
  const canonical = join(origin, awsCanonicalPath(path), awsCanonicalQuery(query));
  return canonical === raw ? [raw] : [raw, canonical];
}

/** A full URL in AWS's signer form (what `signUrl` signs, so that URLs match those of @aws-sdk/cloudfront-signer). */
export function awsCanonicalUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  if (!m || m[2] === undefined) return url;
  return join(m[1] ?? '', awsCanonicalPath(m[2]), m[3] ? awsCanonicalQuery(m[3]) : '');
}
