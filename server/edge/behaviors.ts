// Cache behaviors: ordered path patterns (first match wins) and the lifetimes they give a response, as CloudFront does.
import { targetDurationOf } from '../core/hls/target-duration.ts';
import { parseCacheControl } from '../core/http/cache-control.ts';
import { parseExpires } from '../core/http/expires.ts';
import type { FieldValue } from '../core/http/field.ts';
import { parseHttpDate } from '../core/http/http-date.ts';

export type QueryParamPolicy = 'none' | 'all' | readonly string[];
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
  /** How long a viewer waits for the upstream before a stale copy answers (answer-deadline.ts has the defaults). */
  readonly answerDeadlineMs?: number | undefined;
  /** How long a viewer of an uncached object waits for the upstream before a 504. */
  readonly coldAnswerDeadlineMs?: number | undefined;
}

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
};

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
  { ...BEHAVIOR_DEFAULTS, pathPattern: '*', defaultTtlMs: 60 * S, maxTtlMs: DAY, staleIfErrorMs: 60 * S },
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

  constructor(list: readonly CacheBehavior[] = DEFAULT_BEHAVIORS) {
    // A catch-all last, as CloudFront's default behavior, so every path has one.
    const hasCatchAll = list.some((b) => b.pathPattern === '*');
    this.list = hasCatchAll ? list : [...list, { ...BEHAVIOR_DEFAULTS, pathPattern: '*' }];
    this.compiled = this.list.map((behavior) => ({ re: compilePathPattern(behavior.pathPattern), behavior }));
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
  readonly vary?: string | undefined;
  /** The body, when known: live playlists read their target duration from it. */
  readonly body?: Buffer | undefined;
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
 * Whether and how long to keep a response (CloudFront "Managing how long content stays in the cache"):
 * the origin's s-maxage / max-age, else Expires − Date, clamped to [min, max]; no-store / no-cache / private
 * mean "do not cache" when min TTL is 0, else min TTL; neither header: default TTL. stale-while-revalidate and
 * stale-if-error (RFC 5861) from the origin win over the behavior's; must-revalidate forbids serving stale
 * (RFC 9111 §5.2.2.2). 404 and 410 are kept for the negative TTL (live playlists: 1 × target duration).
 */
export function decideStore(
  behavior: CacheBehavior,
  meta: UpstreamMeta,
  now: number,
  knownTargetDurationS?: number,
): StoreDecision {
  if (behavior.bypass) return { store: false, reason: 'bypass' };
  if (meta.vary && meta.vary.split(',').some((v) => v.trim() === '*')) return { store: false, reason: 'vary-star' };
  if (meta.status === 404 || meta.status === 410) {
    const ttlMs = behavior.targetDurationTtlFactor !== undefined && knownTargetDurationS ? knownTargetDurationS * S : behavior.negativeTtlMs;
    if (ttlMs <= 0) return { store: false, reason: 'negative-ttl-0' };
    return { store: true, ttlMs, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, targetDurationS: knownTargetDurationS };
  }
  if (meta.status !== 200) return { store: false, reason: `status-${meta.status}` };

  const cc = parseCacheControl(meta.cacheControl);
  const expires = parseExpires(meta.expires, now);
  const td = behavior.targetDurationTtlFactor !== undefined ? targetDurationOf(meta.body) : undefined;
  let ttlMs: number;
  if (cc.noStore || cc.noCache || cc.isPrivate) {
    if (behavior.minTtlMs === 0) return { store: false, reason: cc.noStore ? 'no-store' : cc.noCache ? 'no-cache' : 'private' };
    ttlMs = behavior.minTtlMs;
  } else if (cc.sMaxAgeS !== undefined || cc.maxAgeS !== undefined) {
    ttlMs = clamp((cc.sMaxAgeS ?? cc.maxAgeS ?? 0) * S, behavior.minTtlMs, behavior.maxTtlMs);
  } else if (expires.kind !== 'absent') {
    // An invalid Expires means "already expired" (RFC 9111 §5.3).
    const date = parseHttpDate(meta.date, now) ?? now;
    ttlMs = clamp(expires.kind === 'invalid' ? 0 : expires.ms - date, behavior.minTtlMs, behavior.maxTtlMs);
  } else if (td !== undefined && behavior.targetDurationTtlFactor !== undefined) {
    ttlMs = clamp(behavior.targetDurationTtlFactor * td * S, behavior.minTtlMs, behavior.maxTtlMs);
  } else {
    ttlMs = behavior.defaultTtlMs;
  }
  let swr = cc.staleWhileRevalidateS !== undefined ? cc.staleWhileRevalidateS * S : behavior.staleWhileRevalidateMs;
  let sie = cc.staleIfErrorS !== undefined ? cc.staleIfErrorS * S : behavior.staleIfErrorMs;
  if (cc.mustRevalidate || cc.proxyRevalidate) swr = sie = 0;
  if (td !== undefined) {
    swr = Math.min(swr, td * S);
    sie = Math.min(sie, td * S);
  }
  if (ttlMs + swr + sie <= 0) return { store: false, reason: 'ttl-0' };
  return { store: true, ttlMs, staleWhileRevalidateMs: swr, staleIfErrorMs: sie, targetDurationS: td };
}
