// Cache-Control (RFC 9111 §5.2) as a shared cache reads it: response directives for storing, request ones for reuse.
//
// Written here rather than taken from npm: the parsers there (@tusbar/cache-control, cache-parser,
// cache-control-parser) give no-cache and private as booleans (their field names are lost), and none documents which
// duplicate wins or what a non-digit delta-seconds becomes; this file states each rule, and the grammar is small.

import { joinedValue, listElements, type FieldValue } from './field.ts';

export interface ResponseCacheDirectives {
  readonly maxAgeS: number | undefined;
  readonly sMaxAgeS: number | undefined;
  /** RFC 5861 §3. */
  readonly staleWhileRevalidateS: number | undefined;
  /** RFC 5861 §4. */
  readonly staleIfErrorS: number | undefined;
  readonly noStore: boolean;
  /** Unqualified no-cache (RFC 9111 §5.2.2.4): store, but revalidate before every reuse. */
  readonly noCache: boolean;
  /** no-cache="Set-Cookie, …": only these fields need revalidation (lower-cased); undefined when not qualified. */
  readonly noCacheFields: readonly string[] | undefined;
  /** Unqualified private (RFC 9111 §5.2.2.7): a shared cache must not store the response. */
  readonly isPrivate: boolean;
  /** private="…": a shared cache may store the response without these fields (lower-cased). */
  readonly privateFields: readonly string[] | undefined;
  readonly isPublic: boolean;
  readonly mustRevalidate: boolean;
  /** must-revalidate for shared caches only (RFC 9111 §5.2.2.8). */
  readonly proxyRevalidate: boolean;
  readonly mustUnderstand: boolean;
  readonly noTransform: boolean;
  /** RFC 8246. */
  readonly immutable: boolean;
}

export interface RequestCacheDirectives {
  readonly maxAgeS: number | undefined;
  /** max-stale without a value accepts any staleness: Infinity (RFC 9111 §5.2.1.2). */
  readonly maxStaleS: number | undefined;
  readonly minFreshS: number | undefined;
  readonly noCache: boolean;
  readonly noStore: boolean;
  readonly noTransform: boolean;
  readonly onlyIfCached: boolean;
}

/** Directive name (lower-cased) → every argument it was given, in order; `true` for "no argument". */
type Directives = ReadonlyMap<string, readonly (string | true)[]>;

// RFC 9110 §5.6.2 token; §5.6.4 quoted-string (qdtext and quoted-pair, obs-text included).
const DIRECTIVE = /[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:=(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)|"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"))?[ \t]*(?:,|$)/y;
const MAX_LENGTH = 8192;
const MAX_DIRECTIVES = 64;
/** RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31. */
const DELTA_SECONDS_CAP = 2 ** 31;

/**
 * All field lines are one comma-separated list (RFC 9110 §5.3). A malformed element (e.g. `max-age =5`, an
 * unterminated quote) is skipped up to the next comma; a comma inside a quoted string separates nothing, so
 * `extension="max-age=3600"` carries no max-age.
 */
function directivesOf(field: FieldValue): Directives {
  const out = new Map<string, (string | true)[]>();
  const s = joinedValue(field)?.slice(0, MAX_LENGTH);
  if (s === undefined) return out;
  let count = 0;
  for (const m of listElements(s, DIRECTIVE, 'skip')) {
    const name = (m[1] ?? '').toLowerCase();
    const arg = m[2] ?? (m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : true);
    const list = out.get(name);
    if (list) list.push(arg);
    else out.set(name, [arg]);
    if (++count === MAX_DIRECTIVES) break;
  }
  return out;
}

/**
 * delta-seconds (RFC 9111 §1.2.2): digits only, else the occurrence is invalid and ignored. The quoted form
 * (max-age="5") is accepted as RFC 9111 §5.2 lets recipients do. Of several valid occurrences the first wins
 * (RFC 9111 §4.2.1 allows "the first occurrence" or "stale"; first is what Varnish does, and nginx within one line).
 */
function seconds(d: Directives, name: string): number | undefined {
  for (const arg of d.get(name) ?? []) {
    if (arg !== true && /^\d+$/.test(arg)) return Math.min(Number(arg), DELTA_SECONDS_CAP);
  }
  return undefined;
}

/**
 * no-cache / private: unqualified anywhere wins (the stricter reading); otherwise the union of the field names of
 * every qualified occurrence (`no-cache="Set-Cookie, X-Foo"`).
 */
function fieldNames(d: Directives, name: string): { unqualified: boolean; fields: readonly string[] | undefined } {
  const args = d.get(name);
  if (!args) return { unqualified: false, fields: undefined };
  if (args.includes(true)) return { unqualified: true, fields: undefined };
  const fields = new Set<string>();
  for (const arg of args) {
    for (const f of String(arg).split(',')) {
      const t = f.trim().toLowerCase();
      if (/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(t)) fields.add(t);
    }
  }
  return { unqualified: false, fields: [...fields] };
}

/** Response directives from every Cache-Control field line; names are case-insensitive (RFC 9111 §5.2). */
export function parseCacheControl(field: FieldValue): ResponseCacheDirectives {
  const d = directivesOf(field);
  const noCache = fieldNames(d, 'no-cache');
  const priv = fieldNames(d, 'private');
  return {
    maxAgeS: seconds(d, 'max-age'),
    sMaxAgeS: seconds(d, 's-maxage'),
    staleWhileRevalidateS: seconds(d, 'stale-while-revalidate'),
    staleIfErrorS: seconds(d, 'stale-if-error'),
    noStore: d.has('no-store'),
    noCache: noCache.unqualified,
    noCacheFields: noCache.fields,
    isPrivate: priv.unqualified,
    privateFields: priv.fields,
    isPublic: d.has('public'),
    mustRevalidate: d.has('must-revalidate'),
    proxyRevalidate: d.has('proxy-revalidate'),
    mustUnderstand: d.has('must-understand'),
    noTransform: d.has('no-transform'),
    immutable: d.has('immutable'),
  };
}

/** Request directives (RFC 9111 §5.2.1). */
export function parseRequestCacheControl(field: FieldValue): RequestCacheDirectives {
  const d = directivesOf(field);
  const maxStale = d.get('max-stale');
  return {
    maxAgeS: seconds(d, 'max-age'),
    // With a value, only a valid one counts; without one, any staleness is acceptable.
    maxStaleS: seconds(d, 'max-stale') ?? (maxStale?.includes(true) ? Number.POSITIVE_INFINITY : undefined),
    minFreshS: seconds(d, 'min-fresh'),
    noCache: d.has('no-cache'),
    noStore: d.has('no-store'),
    noTransform: d.has('no-transform'),
    onlyIfCached: d.has('only-if-cached'),
  };
}
