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
import type { LocalFills, RemoteFills, SharedBody } from './collapsing.ts';
import type { FillLeader } from './fill-leader.ts';
import type { MemoryTier } from './memory-tier.ts';
import type { UpstreamResponse, Validators } from './origin-client.ts';
import type { PurgeLog } from './purge-log.ts';
import type { RedisTier } from './redis-tier.ts';
import type { SendingObjects } from './sending-objects.ts';

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
  /** Objects read from Redis that responses are still sending, reused by the next reads of their keys. */
  readonly sending: SendingObjects;
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
 * One request (or one background refresh, which has no viewer) on its way through the edge: the request's facts, set
 * once, and what the log, the metrics and the prefetcher read when it is over. What one step hands the next (an
 * upstream answer, a body, an error) travels in the step's result (`Next`), not here. A class with every field set in
 * the constructor keeps one object shape on the hot path.
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
  /** An expired copy: its validators drive revalidation; it answers if the upstream fails (stale-if-error). */
  expired: CacheEntry | undefined = undefined;
  expiredTier: CacheTier | undefined = undefined;
  /** The fetch this exchange leads, if any: runPipeline's finally closes it (fill-leader.ts). */
  leader: FillLeader | undefined = undefined;
  /** The stored object that answered, for the prefetcher; undefined for a streamed or uncached answer. */
  served: CacheEntry | undefined = undefined;
  tier: CacheTier = 'none';
  outcome: CacheOutcome = 'miss';
  status = 0;
  bytes = 0;
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

/** What answers the viewer: a stored object, the upstream's bytes as they arrive, a fill under way here, or a pass-through. */
export type Answer =
  | { readonly kind: 'entry'; readonly entry: CacheEntry; readonly tier: CacheTier }
  /** The upstream's body, streamed (and kept for the store unless `prefix` holds what was already read of it). */
  | { readonly kind: 'stream'; readonly up: UpstreamResponse; readonly tier: CacheTier; readonly leader: FillLeader; readonly body: AsyncIterator<Buffer>; readonly prefix: readonly Buffer[] }
  | { readonly kind: 'follow'; readonly body: SharedBody }
  /** A complete response that may not be stored, for this request only. */
  | { readonly kind: 'buffered'; readonly status: number; readonly headers: UpstreamResponse['headers']; readonly tier: CacheTier; readonly body: Buffer };

/** What the upstream gave, ready to store: a whole body (maybe already streamed to the viewer), or a 304's refresh. */
export type Fetched =
  | { readonly kind: 'body'; readonly up: UpstreamResponse; readonly body: Buffer; readonly tier: CacheTier; readonly delivered: boolean }
  | { readonly kind: 'refreshed'; readonly entry: CacheEntry; readonly tier: CacheTier };

/** A step's result: the next step's name and what it needs. */
export type Next =
  | { readonly to: 'lookup' | 'lookupShared' | 'miss' | 'revalidate' | 'bypass' | 'join' | 'upstream' | 'done' }
  | { readonly to: 'hit' | 'stale'; readonly entry: CacheEntry; readonly tier: CacheTier }
  | { readonly to: 'lock'; readonly leader: FillLeader }
  | { readonly to: 'received' | 'refresh'; readonly up: UpstreamResponse; readonly leader: FillLeader }
  | { readonly to: 'collect'; readonly up: UpstreamResponse; readonly leader: FillLeader; readonly tier: CacheTier }
  | { readonly to: 'store'; readonly fetched: Fetched; readonly leader: FillLeader }
  | { readonly to: 'deliver'; readonly answer: Answer }
  | { readonly to: 'fail'; readonly error: AppError };

export type Step = Exclude<Next['to'], 'done'>;

export const DONE: Next = { to: 'done' };

export function newExchange(init: ExchangeInit): Exchange {
  return new Exchange(init);
}
