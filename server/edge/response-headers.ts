// Which upstream response headers an edge stores and passes on, and which viewer request headers reach the origin.
import type { IncomingHttpHeaders } from 'node:http';
import { joinedValue } from '../core/http/field.ts';
import { parseCacheControl } from '../core/http/cache-control.ts';

export type HeaderList = ReadonlyArray<readonly [string, string]>;
export type RawHeaders = Record<string, string | string[] | undefined>;

/** Hop-by-hop fields (RFC 9110 §7.6.1) and the old ones proxies still see: never stored nor forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization']);
/** Fields the edge writes itself on every answer (length, age, its own validator and cache status), and
 * Surrogate-Control, which is for the edge alone (W3C Edge Architecture: a surrogate removes it). */
const EDGE_OWNED = new Set(['content-length', 'age', 'etag', 'accept-ranges', 'x-cache', 'x-cache-tier', 'surrogate-control']);
const MAX_LINES = 64;
const MAX_VALUE = 8192;
const MAX_TOTAL = 32 * 1024;

/** `x-foo-bar` → `X-Foo-Bar`, as most servers write them (HTTP field names are case-insensitive). */
export function canonicalName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** Names a Connection field lists are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionNames(h: RawHeaders): Set<string> {
  const out = new Set<string>();
  const v = joinedValue(h['connection']);
  if (v) for (const n of v.split(',')) out.add(n.trim().toLowerCase());
  return out;
}

/**
 * The upstream's end-to-end headers, canonical names, one entry per field line, in the order they came: without
 * hop-by-hop fields, the edge's own, those the behavior strips (`strip`, lower-case), and the fields named by
 * `private="…"` / `no-cache="…"`, which a shared cache must not reuse (RFC 9111 §5.2.2.4, §5.2.2.7). Oversized
 * values and lines past the bound are dropped: stored objects carry bounded metadata.
 */
export function storableHeaders(h: RawHeaders, strip: readonly string[]): HeaderList {
  const named = connectionNames(h);
  const cc = parseCacheControl(h['cache-control']);
  const unreusable = new Set([...(cc.privateFields ?? []), ...(cc.noCacheFields ?? [])]);
  const out: Array<[string, string]> = [];
  let total = 0;
  for (const [lower, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(lower) || EDGE_OWNED.has(lower) || named.has(lower) || strip.includes(lower) || unreusable.has(lower)) continue;
    const name = canonicalName(lower);
    for (const line of Array.isArray(v) ? v : [v]) {
      if (line.length > MAX_VALUE || out.length >= MAX_LINES || total + line.length > MAX_TOTAL) continue;
      total += line.length;
      out.push([name, line]);
    }
  }
  return out;
}

/** Headers for the response to the request that fetched it (a miss or a pass): like stored ones, qualified fields kept. */
export function passedHeaders(h: RawHeaders, strip: readonly string[]): HeaderList {
  const named = connectionNames(h);
  const out: Array<[string, string]> = [];
  for (const [lower, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(lower) || EDGE_OWNED.has(lower) || named.has(lower) || strip.includes(lower)) continue;
    const name = canonicalName(lower);
    for (const line of Array.isArray(v) ? v : [v]) out.push([name, line]);
  }
  return out;
}

/** Every value of one field in a list (canonical name), joined as one list. */
export function fieldOf(list: HeaderList, canonical: string): string[] | undefined {
  let out: string[] | undefined;
  for (const [k, v] of list) if (k === canonical) (out ??= []).push(v);
  return out;
}

/**
 * The edge's own common headers minus the CORS fields the upstream already sent (two Access-Control-Allow-Origin
 * lines make a browser refuse the answer): the origin's CORS policy wins for its objects.
 */
export function commonWithout(common: readonly string[], list: HeaderList): readonly string[] {
  let hasCors = false;
  for (const [k] of list) if (k.startsWith('Access-Control-')) hasCors = true;
  if (!hasCors) return common;
  const out: string[] = [];
  for (let i = 0; i + 1 < common.length; i += 2) {
    const k = common[i] as string;
    if (k.startsWith('Access-Control-') && list.some(([n]) => n.toLowerCase() === k.toLowerCase())) continue;
    out.push(k, common[i + 1] as string);
  }
  return out;
}

/** Request fields never forwarded: hop-by-hop, the target's own (Host), the edge's (Via, conditionals it makes itself). */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP, 'host', 'via', 'content-length', 'expect', 'range', 'if-range',
  'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since',
  'cmcd-request', 'cmcd-object', 'cmcd-status', 'cmcd-session',
]);

export interface ForwardPolicy {
  readonly originRequestHeaders: 'key' | 'all';
  readonly keyHeaders: readonly string[];
  readonly keyCookies: readonly string[];
}

/** Only the named cookies of a Cookie field (RFC 6265 §4.2: `a=1; b=2`). */
export function cookiesNamed(cookie: string | undefined, names: readonly string[]): string | undefined {
  if (!cookie || names.length === 0) return undefined;
  const kept = cookie
    .split(';')
    .map((c) => c.trim())
    .filter((c) => {
      const eq = c.indexOf('=');
      return eq > 0 && names.includes(c.slice(0, eq));
    });
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * The viewer's headers sent upstream on a fetch: the cache key's headers and cookies, the fields the stored Vary
 * names (but Accept-Encoding), and Authorization (RFC 9111 §3.5: the origin decides); with `all`, every end-to-end field but the ones the
 * edge owns. Conditionals are never the viewer's: the edge revalidates with its own validators.
 */
/**
 * The names of a response's Vary that can select a variant here: the fields forwardedRequestHeaders would send
 * upstream. A field the upstream never sees (Accept-Encoding when the behavior does not key it, conditionals, Range)
 * cannot have changed its answer, so every viewer gets the same representation and the response is stored as one
 * object, not as a Vary spec and variants. Undefined when none selects.
 */
export function selectingVaryNames(names: readonly string[] | undefined, policy: ForwardPolicy): readonly string[] | undefined {
  if (!names) return undefined;
  const selecting = names.filter((n) => !NOT_FORWARDED.has(n) && (n !== 'accept-encoding' || policy.originRequestHeaders === 'all' || policy.keyHeaders.includes(n)));
  return selecting.length === 0 ? undefined : selecting.length === names.length ? names : selecting;
}

export function forwardedRequestHeaders(h: IncomingHttpHeaders, policy: ForwardPolicy, varyNames: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string): void => {
    const v = h[name];
    if (v === undefined || NOT_FORWARDED.has(name)) return;
    out[name] = Array.isArray(v) ? v.join(', ') : v;
  };
  if (policy.originRequestHeaders === 'all') {
    for (const name of Object.keys(h)) put(name);
    return out;
  }
  for (const name of policy.keyHeaders) put(name);
  // Accept-Encoding only when the key names it: media is stored once, uncompressed, for every viewer.
  for (const name of varyNames) if (name !== 'accept-encoding') put(name);
  put('authorization');
  const cookies = cookiesNamed(h.cookie, policy.keyCookies);
  if (cookies) out['cookie'] = cookies;
  return out;
}
