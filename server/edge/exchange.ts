// One request on its way through the edge (the Exchange), and the Edge it walks through: shared by the steps.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AppError } from '../core/errors.ts';
import type { RangeRequest } from '../core/http/range.ts';
import type { Logger } from '../core/log.ts';
import type { AccessLog } from './access-log.ts';
import type { CacheOutcome, CacheTier, EdgeMetrics } from './edge-metrics.ts';
import type { CacheBehavior } from './behaviors.ts';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import type { CmcdLogFields } from './cmcd-report.ts';
import type { ResponseSink } from './deliver.ts';
import type { Fill, LocalFills, RemoteFills } from './collapsing.ts';
import type { MemoryTier } from './memory-tier.ts';
import type { UpstreamResponse, Validators } from './origin-client.ts';
import type { PurgeLog } from './purge-log.ts';
import type { RedisTier } from './redis-tier.ts';

/** Where objects come from when the tiers miss: the shield and origins (origin-client.ts), or a fake in unit tests. */
export interface UpstreamFetcher {
  fetch(pathAndQuery: string, validators?: Validators, viewerHeaders?: Record<string, string>): Promise<UpstreamResponse>;
}

/** Told about viewers' requests (prefetch.ts): each miss as it starts, each response served from a cached object. */
export interface PrefetchHook {
  /** A viewer's miss is about to be fetched: what follows it can be fetched meanwhile. */
  onMiss(x: Exchange): void;
  afterDelivery(x: Exchange): void;
}

/** Everything the steps use; built once per edge process by edge-app.ts. */
export interface Edge {
  readonly clock: () => number;
  readonly memory: MemoryTier;
  readonly redis: RedisTier | undefined;
  readonly remote: RemoteFills | undefined;
  readonly fills: LocalFills;
  readonly purges: PurgeLog;
  readonly upstream: UpstreamFetcher;
  readonly metrics: EdgeMetrics;
  readonly logger: Logger;
  /** Via + CORS headers, precomputed. */
  readonly common: readonly string[];
  readonly maxObjectBytes: number;
  readonly lockTtlMs: number;
  /** One line per viewer request (fixed fields, no redaction pass), or undefined when the access log is off. */
  readonly accessLog: AccessLog | undefined;
  /** Fetches segments ahead of viewers; set once the edge is built, undefined when prefetch is off everywhere. */
  prefetch?: PrefetchHook | undefined;
  /** Background work (stale refreshes, Redis stores) to await on close. */
  track(work: Promise<unknown>): void;
}

export interface ExchangeInit {
  readonly req: IncomingMessage | undefined;
  readonly res: ResponseSink | undefined;
  readonly key: CacheKey;
  /** Path and query sent upstream (the key without its header tags); the key when absent. */
  readonly upstreamPath?: string;
  /** The viewer's request fields (a background refresh carries those of the request that triggered it). */
  readonly viewerHeaders?: IncomingHttpHeaders;
  readonly behavior: CacheBehavior;
  readonly isHead: boolean;
  readonly range: RangeRequest;
  /** A plain GET: its bytes can stream from upstream while they are stored. */
  readonly canStream: boolean;
  readonly startedAt: number;
}

/**
 * One request (or one background refresh, which has no viewer) on its way through the edge. A class with every
 * field set in the constructor keeps one object shape on the hot path.
 */
export class Exchange implements ExchangeInit {
  readonly req: IncomingMessage | undefined;
  readonly res: ResponseSink | undefined;
  readonly key: CacheKey;
  readonly upstreamPath: string;
  readonly viewerHeaders: IncomingHttpHeaders;
  readonly behavior: CacheBehavior;
  readonly isHead: boolean;
  readonly range: RangeRequest;
  readonly canStream: boolean;
  readonly startedAt: number;
  /** Where the entry was found or is stored when its response varies (vary.ts): the key of one variant. */
  variantKey: CacheKey | undefined = undefined;
  /** Vary names known for the key (a stored spec): their fields go upstream too. */
  varyNames: readonly string[] | undefined = undefined;
  /** The viewer's fields as the upstream saw them (response-headers.ts): what a variant is stored under. */
  sentHeaders: Record<string, string> | undefined = undefined;
  entry: CacheEntry | undefined = undefined;
  /** An expired copy: its validators drive revalidation; it answers if the upstream fails (stale-if-error). */
  expired: CacheEntry | undefined = undefined;
  expiredTier: CacheTier | undefined = undefined;
  tier: CacheTier = 'none';
  outcome: CacheOutcome = 'miss';
  upstream: UpstreamResponse | undefined = undefined;
  bodyIter: AsyncIterator<Buffer> | undefined = undefined;
  /** The complete upstream body, once read. */
  body: Buffer | undefined = undefined;
  /** A response that may not be stored, kept only for this request. */
  passthrough: { readonly status: number; readonly headers: UpstreamResponse['headers']; readonly body: Buffer } | undefined = undefined;
  /** The fill this exchange leads, if any. */
  fill: Fill | undefined = undefined;
  /** The cross-edge fill lock this exchange holds: its token (redis-tier.ts), which also names the fill's bytes. */
  lockToken: string | undefined = undefined;
  /** The upstream is another edge's fill, followed through Redis: that edge stores it there. */
  fromRemoteFill = false;
  /** Purge position when the fetch began: a purge after it forbids storing what the fetch returns. */
  fillEpoch = 0;
  fillSeq = 0;
  error: AppError | undefined = undefined;
  status = 0;
  bytes = 0;
  delivered = false;
  /** What the player reported with CMCD, for the access log line; undefined when the request carried none. */
  cmcd: CmcdLogFields | undefined = undefined;

  constructor(init: ExchangeInit) {
    this.req = init.req;
    this.res = init.res;
    this.key = init.key;
    this.upstreamPath = init.upstreamPath ?? init.key;
    this.viewerHeaders = init.viewerHeaders ?? init.req?.headers ?? {};
    this.behavior = init.behavior;
    this.isHead = init.isHead;
    this.range = init.range;
    this.canStream = init.canStream;
    this.startedAt = init.startedAt;
  }
}

export type Step = 'lookup' | 'lookupShared' | 'hit' | 'stale' | 'revalidate' | 'miss' | 'bypass' | 'fetch' | 'received' | 'collect' | 'deliver' | 'store' | 'fail';
export type Next = Step | 'done';
export type StepFn = (x: Exchange, edge: Edge) => Next | Promise<Next>;

export function newExchange(init: ExchangeInit): Exchange {
  return new Exchange(init);
}
