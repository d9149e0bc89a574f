// Cache behaviors: ordered path patterns (first match wins) and the lifetimes they give a response, as CloudFront does.
import { targetDurationOf } from '../core/hls/target-duration.ts';
import { parseCacheControl, type ResponseCacheDirectives } from '../core/http/cache-control.ts';
import { parseExpires } from '../core/http/expires.ts';
import { joinedValue, type FieldValue } from '../core/http/field.ts';
import { parseHttpDate } from '../core/http/http-date.ts';
import { errorTtlMs, isErrorStatus, isHeuristicallyCacheable, isUnderstoodStatus } from './error-ttl.ts';

export type QueryParamPolicy = 'none' | 'all' | readonly string[];
/** CloudFront's allowed methods: the others are answered 405. Methods other than GET/HEAD are forwarded, never cached. */
export type AllowedMethods = 'GET,HEAD' | 'GET,HEAD,OPTIONS' | 'all';
export const ALLOWED_METHOD_SETS: readonly AllowedMethods[] = ['GET,HEAD', 'GET,HEAD,OPTIONS', 'all'];
/** Which viewer request headers reach the origin: those of the cache key (and Vary, Authorization), or every end-to-end one. */
export type OriginRequestHeaders = 'key' | 'all';
/** CloudFront's viewer protocol policy: serve plain HTTP too, send it to HTTPS (301), or refuse it (403). */
export type ViewerProtocolPolicy = 'allow-all' | 'redirect-to-https' | 'https-only';
export const VIEWER_PROTOCOL_POLICIES: readonly ViewerProtocolPolicy[] = ['allow-all', 'redirect-to-https', 'https-only'];

export interface CacheBehavior {
  /** CloudFront syntax: `*` matches any characters (slashes included), `?` exactly one; case-sensitive. */
  readonly pathPattern: string;
  readonly minTtlMs: number;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  readonly staleWhileRevalidateMs: number;
  readonly staleIfErrorMs: number;
  /** 404/410 answers are kept this long (CloudFront's error caching minimum TTL). 0: not cached. */
  readonly negativeTtlMs: number;
  /** Query parameters that enter the cache key (and reach the upstream). */
  readonly queryParams: QueryParamPolicy;
  /** Never look up or store: every request goes upstream. */
  readonly bypass: boolean;
  /** Live media playlists: TTL = factor × EXT-X-TARGETDURATION, stale windows capped at 1 × target duration. */
  readonly targetDurationTtlFactor: number | undefined;
  /** Viewers need a valid CloudFront-style signature (URL or cookies) for these paths. */
  readonly requireSignature: boolean;
  readonly viewerProtocolPolicy: ViewerProtocolPolicy;
  /**
   * After a viewer fetches segment n of a media playlist, fetch segments n+1…n+k into the cache (prefetch.ts);
   * 0: off; undefined: the edge's --prefetch-segments (default 2).
   */
  readonly prefetchSegments: number | undefined;
  readonly allowedMethods: AllowedMethods;
  /** Request headers (lower-case) in the cache key, sent to the origin too (CloudFront's cache policy). */
  readonly keyHeaders: readonly string[];
  /** Cookie names in the cache key, sent to the origin too. */
  readonly keyCookies: readonly string[];
  readonly originRequestHeaders: OriginRequestHeaders;
  /** Response headers (lower-case) neither stored nor passed on (CloudFront's response headers policy). */
  readonly stripResponseHeaders: readonly string[];
  /** Error answers (other than 404/410) kept this long when the origin gives them no lifetime (ErrorCachingMinTTL). */
  readonly errorTtlMs: { readonly clientError: number; readonly serverError: number };
  /** Store answers to requests with Authorization even without public / s-maxage / must-revalidate (RFC 9111 §3.5). */
  readonly cacheAuthorized: boolean;
  /** How long a viewer waits for the upstream before a stale copy answers (answer-deadline.ts has the defaults). */
  readonly answerDeadlineMs?: number | undefined;
  /** How long a viewer of an uncached object waits for the upstream before a 504. */
  readonly coldAnswerDeadlineMs?: number | undefined;
}

/** Segments a behavior may prefetch ahead of a viewer: beyond a few, it is a download, not a head start. */
export const MAX_PREFETCH_SEGMENTS = 10;

const S = 1000;
const DAY = 86_400 * S;

/** CloudFront's defaults for a behavior that does not say: min 0, default 1 day, max 1 year. */
export const BEHAVIOR_DEFAULTS: Omit<CacheBehavior, 'pathPattern'> = {
  minTtlMs: 0,
  defaultTtlMs: DAY,
  maxTtlMs: 365 * DAY,
  staleWhileRevalidateMs: 0,
  staleIfErrorMs: 0,
  negativeTtlMs: 10 * S,
  queryParams: 'none',
  bypass: false,
  targetDurationTtlFactor: undefined,
  requireSignature: false,
  viewerProtocolPolicy: 'allow-all',
  prefetchSegments: undefined,
  allowedMethods: 'GET,HEAD',
  keyHeaders: [],
  keyCookies: [],
  originRequestHeaders: 'key',
  // Media is shared by every viewer: a cookie set for one must never reach another.
  stripResponseHeaders: ['set-cookie'],
  errorTtlMs: { clientError: 10 * S, serverError: 10 * S },
  cacheAuthorized: false,
};

const BUILT_IN_CATCH_ALL: CacheBehavior = { ...BEHAVIOR_DEFAULTS, pathPattern: '*', defaultTtlMs: 60 * S, maxTtlMs: DAY, staleIfErrorMs: 60 * S };

/**
 * The defaults of ../shared/DESIGN.md. Live playlists live ½ × target duration and are never served more than
 * 1 × TD stale (only when the origin fails); VOD playlists are short with stale-while-revalidate; VOD segments at least 14 days (they are
 * immutable by construction: a re-packaged asset is purged); live segments honour the origin's max-age, 14 days
 * if it says nothing, because a restarted channel may reuse names.
 */
export const DEFAULT_BEHAVIORS: readonly CacheBehavior[] = [
  {
    ...BEHAVIOR_DEFAULTS,
    pathPattern: '/live/*.m3u8',
    defaultTtlMs: 1 * S,
    maxTtlMs: 30 * S,
    // No stale-while-revalidate: a live player polls every target duration and would always get the previous
    // window, adding a TD of latency. An expired playlist is revalidated (collapsed) before answering instead.
    staleWhileRevalidateMs: 0,
    staleIfErrorMs: 10 * S,
    negativeTtlMs: 2 * S,
    errorTtlMs: { clientError: 2 * S, serverError: 2 * S },
    targetDurationTtlFactor: 0.5,
  },
  { ...BEHAVIOR_DEFAULTS, pathPattern: '/live/*', defaultTtlMs: 14 * DAY, staleIfErrorMs: DAY },
  {
    ...BEHAVIOR_DEFAULTS,
    pathPattern: '/vod/*.m3u8',
    defaultTtlMs: 30 * S,
    maxTtlMs: 60 * S,
    staleWhileRevalidateMs: 30 * S,
    staleIfErrorMs: DAY,
  },
  { ...BEHAVIOR_DEFAULTS, pathPattern: '/vod/*', minTtlMs: 14 * DAY, defaultTtlMs: 30 * DAY, staleIfErrorMs: DAY },
  BUILT_IN_CATCH_ALL,
];

/** CloudFront path pattern → anchored RegExp. Everything but `*` and `?` is literal. */
export function compilePathPattern(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern.startsWith('/') || pattern.startsWith('*') ? pattern : `/${pattern}`) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

/** The ordered list with its patterns compiled once. */
export class Behaviors {
  private readonly compiled: ReadonlyArray<{ re: RegExp; behavior: CacheBehavior }>;
  readonly list: readonly CacheBehavior[];
  private readonly implicitCatchAll: CacheBehavior;

  constructor(list: readonly CacheBehavior[] = DEFAULT_BEHAVIORS) {
    // A catch-all last, as CloudFront's default behavior, so every path has one.
    const hasCatchAll = list.some((b) => b.pathPattern === '*');
    this.implicitCatchAll = { ...BEHAVIOR_DEFAULTS, pathPattern: '*' };
    this.list = hasCatchAll ? list : [...list, this.implicitCatchAll];
    this.compiled = this.list.map((behavior) => ({ re: compilePathPattern(behavior.pathPattern), behavior }));
  }

  /**
   * Does a behavior of the configuration claim this path? /vod/ and /live/ always; any other path only through a
   * behavior other than the built-in catch-all (so an edge without a behaviors file answers 404 elsewhere, as before).
   */
  claims(path: string): boolean {
    if (path.startsWith('/vod/') || path.startsWith('/live/')) return true;
    const b = this.match(path);
    return b !== BUILT_IN_CATCH_ALL && b !== this.implicitCatchAll;
  }

  match(path: string): CacheBehavior {
    for (const c of this.compiled) if (c.re.test(path)) return c.behavior;
    return this.compiled[this.compiled.length - 1]?.behavior ?? { ...BEHAVIOR_DEFAULTS, pathPattern: '*' };
  }
}

/** What the upstream said that matters for lifetimes. */
export interface UpstreamMeta {
  readonly status: number;
  /** Every Cache-Control line (RFC 9111 §5.2). */
  readonly cacheControl?: FieldValue;
  /** Several Expires lines are invalid (expired), as is any value that is not an HTTP-date (RFC 9111 §5.3). */
  readonly expires?: FieldValue;
  readonly date?: string | undefined;
  readonly vary?: FieldValue;
  /** The body, when known: live playlists read their target duration from it. */
  readonly body?: Buffer | undefined;
  /** The request carried Authorization (RFC 9111 §3.5). */
  readonly authorized?: boolean;
  /** Surrogate-Control directives meant for this edge: their max-age / no-store win over Cache-Control's. */
  readonly surrogateControl?: string | undefined;
}

export type StoreDecision =
  | {
      readonly store: true;
      readonly ttlMs: number;
      readonly staleWhileRevalidateMs: number;
      readonly staleIfErrorMs: number;
      readonly targetDurationS: number | undefined;
    }
  | { readonly store: false; readonly reason: string };

function clamp(v: number, min: number, max: number): number {
  return Math.min(Math.max(v, min), max);
}

/**
 * Whether and how long to keep a response (CloudFront "Managing how long content stays in the cache", RFC 9111 §3):
 * the origin's s-maxage / max-age, else Expires − Date, clamped to [min, max]; no-store / private mean "do not
 * cache" when min TTL is 0, else min TTL; no-cache stores with a lifetime of 0 (every reuse revalidates, §5.2.2.4).
 * Without explicit freshness: errors get the behavior's error TTL (404/410 the negative TTL; live playlists 1 × target
 * duration), heuristically cacheable statuses (and `public`) the default TTL, others are not stored. A response to a
 * request with Authorization is stored only with public, s-maxage or must-revalidate (§3.5) or when the behavior
 * says so. stale-while-revalidate and stale-if-error (RFC 5861) from the origin win over the behavior's;
 * must-revalidate / proxy-revalidate / no-cache forbid serving stale (§5.2.2.2): the copy is kept and revalidated.
 */
export function decideStore(
  behavior: CacheBehavior,
  meta: UpstreamMeta,
  now: number,
  knownTargetDurationS?: number,
): StoreDecision {
  if (behavior.bypass) return { store: false, reason: 'bypass' };
  if (isVaryStar(meta.vary)) return { store: false, reason: 'vary-star' };
  const status = meta.status;
  // 206 and 304 are never stored as such; 1xx never arrive here.
  if (status < 200 || status === 206 || status === 304 || status > 599) return { store: false, reason: `status-${status}` };
  let cc = withSurrogate(parseCacheControl(meta.cacheControl), meta.surrogateControl);
  // must-understand: store only statuses whose rules we implement, and then no-store does not apply (RFC 9111 §5.2.2.3).
  if (cc.mustUnderstand) {
    if (!isUnderstoodStatus(status)) return { store: false, reason: 'must-understand' };
    cc = { ...cc, noStore: false };
  }
  if (meta.authorized && !behavior.cacheAuthorized && !cc.isPublic && cc.sMaxAgeS === undefined && !cc.mustRevalidate) {
    return { store: false, reason: 'authorization' };
  }
  const expires = parseExpires(meta.expires, now);
  const td = behavior.targetDurationTtlFactor !== undefined && status === 200 ? targetDurationOf(meta.body) : undefined;
  const isError = isErrorStatus(status);
  // For errors the error TTL is the minimum TTL (CloudFront's ErrorCachingMinTTL); a live playlist's 404 lasts 1 × TD.
  const tdMs = behavior.targetDurationTtlFactor !== undefined && knownTargetDurationS ? knownTargetDurationS * S : undefined;
  const minTtlMs = isError ? errorTtlMs(status, behavior, tdMs) : behavior.minTtlMs;
  let ttlMs: number;
  if (cc.noStore || cc.isPrivate) {
    if (minTtlMs === 0) return { store: false, reason: cc.noStore ? 'no-store' : 'private' };
    ttlMs = minTtlMs;
  } else if (cc.noCache) {
    ttlMs = minTtlMs;
  } else if (cc.sMaxAgeS !== undefined || cc.maxAgeS !== undefined) {
    ttlMs = clamp((cc.sMaxAgeS ?? cc.maxAgeS ?? 0) * S, minTtlMs, behavior.maxTtlMs);
  } else if (expires.kind !== 'absent') {
    // An invalid Expires means "already expired" (RFC 9111 §5.3).
    const date = parseHttpDate(meta.date, now) ?? now;
    ttlMs = clamp(expires.kind === 'invalid' ? 0 : expires.ms - date, minTtlMs, behavior.maxTtlMs);
  } else if (isError) {
    ttlMs = minTtlMs;
    if (ttlMs <= 0) return { store: false, reason: status === 404 || status === 410 ? 'negative-ttl-0' : 'error-ttl-0' };
  } else if (td !== undefined && behavior.targetDurationTtlFactor !== undefined) {
    ttlMs = clamp(behavior.targetDurationTtlFactor * td * S, minTtlMs, behavior.maxTtlMs);
  } else if (isHeuristicallyCacheable(status) || cc.isPublic) {
    ttlMs = behavior.defaultTtlMs;
  } else {
    return { store: false, reason: `status-${status}` };
  }
  // Errors never use stale windows: a stale error helps nobody.
  let swr = isError ? 0 : cc.staleWhileRevalidateS !== undefined ? cc.staleWhileRevalidateS * S : behavior.staleWhileRevalidateMs;
  let sie = isError ? 0 : cc.staleIfErrorS !== undefined ? cc.staleIfErrorS * S : behavior.staleIfErrorMs;
  if (cc.mustRevalidate || cc.proxyRevalidate || cc.noCache) swr = sie = 0;
  if (td !== undefined) {
    swr = Math.min(swr, td * S);
    sie = Math.min(sie, td * S);
  }
  // A lifetime of 0 is still worth storing when the copy has validators: it answers after a 304 (entry-builder.ts).
  return { store: true, ttlMs, staleWhileRevalidateMs: swr, staleIfErrorMs: sie, targetDurationS: td };
}

/** Surrogate-Control's lifetime directives replace Cache-Control's for this cache (W3C Edge Architecture §3). */
function withSurrogate(cc: ResponseCacheDirectives, surrogate: string | undefined): ResponseCacheDirectives {
  if (surrogate === undefined) return cc;
  const sc = parseCacheControl(surrogate);
  if (sc.noStore) return { ...cc, noStore: true };
  if (sc.maxAgeS === undefined) return cc;
  // The surrogate's max-age is this cache's whole lifetime: Cache-Control's no-store / s-maxage no longer apply.
  return { ...cc, noStore: false, noCache: false, isPrivate: false, sMaxAgeS: sc.maxAgeS, maxAgeS: sc.maxAgeS, staleWhileRevalidateS: sc.staleWhileRevalidateS ?? cc.staleWhileRevalidateS, staleIfErrorS: sc.staleIfErrorS ?? cc.staleIfErrorS };
}

/** `Vary: *`: the response can never be reused (RFC 9111 §4.1). */
export function isVaryStar(vary: FieldValue): boolean {
  const v = joinedValue(vary);
  return v !== undefined && v.split(',').some((n) => n.trim() === '*');
}
