// Signed cookies on the wire: reading CloudFront-* cookies from a request, and the Set-Cookie lines that hand them out.
import { SIGNED_COOKIE_NAMES, type SignedCookieName, type SignedCookies } from './signer.ts';

const NAMES: ReadonlySet<string> = new Set(SIGNED_COOKIE_NAMES);
/** A Cookie header beyond this is not read (Node's default limit for all headers together is 16 KiB). */
export const MAX_COOKIE_HEADER_CHARS = 16_384;

export interface ReadCookies {
  readonly cookies: SignedCookies;
  /** Why the CloudFront cookies cannot be trusted (duplicated, badly encoded), or undefined. */
  readonly problem: string | undefined;
}

function unquote(value: string): string {
  // RFC 6265 §4.1.1: a cookie-value may be wrapped in double quotes.
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * The CloudFront-* cookies of a request, from its Cookie header or from an already-parsed name → value map.
 * Other cookies are ignored. A CloudFront cookie sent twice (two Path or Domain scopes) is a problem, not a guess.
 */
export function readSignedCookies(source: string | Readonly<Record<string, string | undefined>> | undefined): ReadCookies {
  const cookies: SignedCookies = {};
  if (source === undefined) return { cookies, problem: undefined };
  if (typeof source !== 'string') {
    for (const name of SIGNED_COOKIE_NAMES) {
      const v = source[name];
      if (v !== undefined) cookies[name] = v;
    }
    return { cookies, problem: undefined };
  }
  if (source.length > MAX_COOKIE_HEADER_CHARS) return { cookies, problem: `Cookie header is longer than ${MAX_COOKIE_HEADER_CHARS} characters` };
  let problem: string | undefined;
  for (const part of source.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!NAMES.has(name)) continue;
    const key = name as SignedCookieName;
    let value = unquote(part.slice(eq + 1).trim());
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        problem ??= `cookie ${key} is not valid percent-encoding`;
        continue;
      }
    }
    if (cookies[key] !== undefined) problem ??= `cookie ${key} must be sent once`;
    else cookies[key] = value;
  }
  return { cookies, problem };
}

export interface CookieOptions {
  /** Domain attribute; omit for a host-only cookie (the edge's own host name). */
  readonly domain?: string | undefined;
  /** Path scope; `/vod/abc/` limits the cookies to one asset. Default `/`. */
  readonly path?: string | undefined;
  /** Browser-side expiry; the policy still decides on the edge. Omit for session cookies. */
  readonly expires?: Date | undefined;
  /** Default true: the cookies then only travel over HTTPS. */
  readonly secure?: boolean | undefined;
  /** Default true: page scripts cannot read the signature. */
  readonly httpOnly?: boolean | undefined;
  /** Default `Lax`. A player on another site that sends cookies with credentialed requests needs `None` (and secure). */
  readonly sameSite?: 'Strict' | 'Lax' | 'None' | undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a header
const ATTR = /^[^;\x00-\x1f\x7f]*$/;

/**
 * `Set-Cookie` header values that give a viewer these signed cookies. An application that authorizes a viewer sends
 * them once (e.g. `res.setHeader('Set-Cookie', signedCookieHeaders(signCookies(…), { path: '/vod/abc/' }))`); the
 * browser then presents them on every playlist and segment request to the edge.
 */
export function signedCookieHeaders(cookies: SignedCookies, opts: CookieOptions = {}): string[] {
  const secure = opts.secure ?? true;
  const sameSite = opts.sameSite ?? 'Lax';
  if (sameSite === 'None' && !secure) throw new Error('SameSite=None cookies must be Secure (browsers drop them otherwise)');
  const attrs: string[] = [`Path=${opts.path ?? '/'}`];
  if (opts.domain !== undefined) attrs.push(`Domain=${opts.domain}`);
  if (opts.expires !== undefined) attrs.push(`Expires=${opts.expires.toUTCString()}`);
  if (secure) attrs.push('Secure');
  if (opts.httpOnly ?? true) attrs.push('HttpOnly');
  attrs.push(`SameSite=${sameSite}`);
  for (const a of attrs) if (!ATTR.test(a)) throw new Error(`cookie attribute "${a}" must not contain ";" or control characters`);
  const lines: string[] = [];
  for (const name of SIGNED_COOKIE_NAMES) {
    const value = cookies[name];
    if (value === undefined) continue;
    // CloudFront base64, ids and numbers are already cookie-safe; anything else is refused rather than escaped.
    if (!TOKEN.test(value)) throw new Error(`cookie ${name} value must be a cookie-safe token`);
    lines.push([`${name}=${value}`, ...attrs].join('; '));
  }
  return lines;
}
