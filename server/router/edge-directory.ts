// The set of known edges (configured and heartbeat-registered) and their health from active checks and failure reports.
import type { RegistryRead } from '../core/edge-registry-read.ts';
import type { EdgeRecord } from '../core/edge-registry.ts';
import type { Logger } from '../core/log.ts';
import type { RouterMetrics } from './router-metrics.ts';
import type { HealthProbe, HealthResult } from './health-probe.ts';
import type { EdgeSeed } from './router-config.ts';

export type EdgeStatus = 'up' | 'down' | 'unknown';

/** One edge as routing decisions and the /routing endpoint see it: plain data, a snapshot at one instant. */
export interface EdgeView {
  readonly key: string;
  readonly id: string;
  /** Where viewers are sent. */
  readonly url: string;
  /** Where the router itself reaches the edge (health checks, master playlists): the heartbeat's internalUrl, else `url`. */
  readonly probeUrl: string;
  readonly region: string;
  readonly sources: ReadonlyArray<'config' | 'registry'>;
  readonly status: EdgeStatus;
  readonly healthy: boolean;
  /** The edge's own last word on its origin: false means it serves only what it holds (routed to, but after the others). */
  readonly originReachable: boolean | undefined;
  readonly load: number | undefined;
  readonly lastOkAt: number | undefined;
  readonly lastCheckAt: number | undefined;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
}

/** Region of an edge that neither its flag (`URL#region`) nor its heartbeat names. */
export const UNASSIGNED_REGION = 'default';

interface EdgeEntry {
  readonly key: string;
  readonly url: string;
  fromConfig: boolean;
  configRegion: string | undefined;
  record: EdgeRecord | undefined;
  /** The id from the last heartbeat: a configured edge keeps its name (and its steering pathway id) while its record is gone. */
  lastId: string | undefined;
  recordSeenAt: number;
  probeLoad: { load: number; at: number } | undefined;
  originReachable: boolean | undefined;
  lastOkAt: number | undefined;
  lastCheckAt: number | undefined;
  consecutiveFailures: number;
  lastError: string | undefined;
  /** Set by a definitive failure (an unhealthy answer, a refused connection, a confirmed report); cleared by a good check. */
  isDownNow: boolean;
  reported: EdgeStatus;
  inflight: Promise<boolean> | undefined;
}

export interface EdgeDirectoryOptions {
  readonly seeds: readonly EdgeSeed[];
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  readonly downAfterMs: number;
  readonly probe: HealthProbe;
  /** Reads the Redis registry; absent when the router runs on configured edges only. */
  readonly readRegistry?: () => Promise<RegistryRead>;
  readonly metrics: RouterMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Same edge, same key: scheme, lower-case host and port, path without trailing slashes. */
export function edgeKey(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The health rule, pure: an edge is up while a check succeeded within `downAfterMs` and nothing definitive has
 * failed since. Silence (timeouts, resets) is tolerated for `downAfterMs`, so one slow answer does not drain an edge;
 * an explicit "no" (non-2xx /healthz, connection refused, a failure report confirmed by a check) takes it out at once.
 */
export function edgeStatus(e: Pick<EdgeEntry, 'lastOkAt' | 'lastCheckAt' | 'isDownNow'>, now: number, downAfterMs: number): EdgeStatus {
  if (e.lastOkAt === undefined) return e.lastCheckAt === undefined ? 'unknown' : 'down';
  if (e.isDownNow || now - e.lastOkAt > downAfterMs) return 'down';
  return 'up';
}

export class EdgeDirectory {
  private readonly entries = new Map<string, EdgeEntry>();
  private readonly opts: EdgeDirectoryOptions;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private isStopped = false;
  private isRegistryFailing = false;
  private membershipVersion = 0;

  constructor(opts: EdgeDirectoryOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    for (const seed of opts.seeds) {
      const key = edgeKey(seed.url);
      const existing = this.entries.get(key);
      if (existing) existing.configRegion = seed.region ?? existing.configRegion;
      else this.entries.set(key, newEntry(key, seed.url, true, seed.region));
    }
  }

  /** Changes whenever an edge joins, leaves or changes region: hash rings are rebuilt only then. */
  get version(): number {
    return this.membershipVersion;
  }

  /** Checks every edge now and then every interval; resolves after the first round. */
  start(): Promise<void> {
    const first = this.runRound();
    const tick = (): void => {
      if (this.isStopped) return;
      const started = this.now();
      this.running = this.runRound().finally(() => {
        if (this.isStopped) return;
        // Fixed rate: a slow round shortens the pause instead of stretching the period past downAfter.
        this.timer = setTimeout(tick, Math.max(0, this.opts.healthIntervalMs - (this.now() - started)));
      });
    };
    this.running = first.finally(() => {
      if (!this.isStopped) this.timer = setTimeout(tick, this.opts.healthIntervalMs);
    });
    return first;
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
    await Promise.all([...this.entries.values()].map((e) => e.inflight?.catch(() => undefined)));
  }

  /**
   * One round: check every known edge and read the registry in parallel (each bounded by the timeout, so a slow
   * Redis never delays health checks), then check the edges the registry just introduced.
   */
  async runRound(): Promise<void> {
    const known = new Set(this.entries.values());
    const checkNew = (): Promise<unknown> => Promise.all([...this.entries.values()].filter((e) => !known.has(e)).map((e) => this.check(e, false)));
    await Promise.all([...[...known].map((e) => this.check(e, false)), this.syncRegistry().then(checkNew)]);
    const now = this.now();
    for (const e of this.entries.values()) this.noteStatus(e, now);
  }

  /**
   * A viewer (or player) says requests to `url` failed. Reports are unauthenticated, so one never drains an edge by
   * itself: it triggers a check, and only a failing check takes the edge out at once. Concurrent reports for one
   * edge share one check; a check finished before the report arrived proves nothing about it, so none is reused.
   */
  async reportFailure(url: string): Promise<{ edge: EdgeView; outcome: 'confirmed' | 'refuted' } | undefined> {
    const entry = this.findByUrl(url);
    if (!entry) return undefined;
    const ok = await this.check(entry, true);
    // The check may have been a round's, already under way (shared): a report it confirms still takes the edge out.
    if (!ok && !this.isStopped) {
      entry.isDownNow = true;
      this.noteStatus(entry, this.now());
    }
    return { edge: this.view(entry, this.now()), outcome: ok ? 'refuted' : 'confirmed' };
  }

  /** Every known edge, ordered by region then URL. */
  snapshot(): EdgeView[] {
    const now = this.now();
    return [...this.entries.values()]
      .map((e) => this.view(e, now))
      .sort((a, b) => a.region.localeCompare(b.region) || a.key.localeCompare(b.key));
  }

  private findByUrl(url: string): EdgeEntry | undefined {
    let key: string;
    try {
      key = edgeKey(url);
    } catch {
      // Not a URL: maybe an edge id.
      return [...this.entries.values()].find((e) => e.record?.id === url || idOf(e) === url);
    }
    // The reported URL is usually a playlist or segment on the edge: match the edge whose base URL prefixes it.
    let best: EdgeEntry | undefined;
    for (const e of this.entries.values()) {
      if ((key === e.key || key.startsWith(`${e.key}/`)) && (!best || e.key.length > best.key.length)) best = e;
    }
    return best;
  }

  private async syncRegistry(): Promise<void> {
    if (!this.opts.readRegistry) return;
    let read: RegistryRead;
    try {
      read = await this.opts.readRegistry();
    } catch (err) {
      this.opts.metrics.registryErrors.inc();
      // One warning per outage, not one per round.
      if (!this.isRegistryFailing) this.opts.logger.warn({ err }, 'edge registry unreadable; keeping the last known edges');
      this.isRegistryFailing = true;
      return;
    }
    if (this.isRegistryFailing) this.opts.logger.info('edge registry readable again');
    this.isRegistryFailing = false;
    if (read.invalid > 0) this.opts.logger.debug({ invalid: read.invalid }, 'skipped edge records that do not parse');
    const now = this.now();
    const seen = new Set<string>();
    for (const record of read.edges) {
      const key = edgeKey(record.url);
      seen.add(key);
      let entry = this.entries.get(key);
      if (!entry) {
        entry = newEntry(key, record.url, false, undefined);
        this.entries.set(key, entry);
        this.membershipVersion++;
        this.opts.logger.info({ edge: record.id, url: record.url, region: record.region }, 'edge registered');
      } else if (entry.configRegion === undefined && entry.record?.region !== record.region) {
        this.membershipVersion++;
      }
      if (entry.record?.ts !== record.ts) entry.recordSeenAt = now;
      entry.record = record;
      entry.lastId = record.id;
    }
    for (const [key, entry] of this.entries) {
      if (seen.has(key) || !entry.record) continue;
      if (entry.fromConfig) {
        if (entry.configRegion === undefined) this.membershipVersion++;
        entry.record = undefined;
      } else {
        this.entries.delete(key);
        this.membershipVersion++;
        this.opts.logger.info({ edge: entry.record.id, url: entry.url }, 'edge heartbeat expired; forgotten');
      }
    }
  }

  private check(e: EdgeEntry, isConfirming: boolean): Promise<boolean> {
    if (e.inflight) return e.inflight;
    const p = (async (): Promise<boolean> => {
      let result: HealthResult;
      try {
        result = await this.opts.probe(e.record?.internalUrl ?? e.url, this.opts.healthTimeoutMs, this.abort.signal);
      } catch (err) {
        result = { ok: false, failure: 'error', message: (err as Error).message };
      }
      if (this.isStopped) return result.ok;
      const now = this.now();
      e.lastCheckAt = now;
      if (result.ok) {
        e.lastOkAt = now;
        e.isDownNow = false;
        e.consecutiveFailures = 0;
        e.lastError = undefined;
        // An answer without a load figure withdraws the previous one: a stale high load would keep spilling forever.
        e.probeLoad = result.load === undefined ? undefined : { load: result.load, at: now };
        e.originReachable = result.originReachable;
      } else {
        e.consecutiveFailures++;
        e.lastError = `${result.failure ?? 'error'}: ${result.message ?? ''}`.trim();
        this.opts.metrics.healthCheckFailures.inc({ reason: result.failure ?? 'error' });
        if (isConfirming || result.failure === 'status' || result.failure === 'refused') e.isDownNow = true;
      }
      this.noteStatus(e, now);
      return result.ok;
    })().finally(() => {
      e.inflight = undefined;
    });
    e.inflight = p;
    return p;
  }

  /** Logs and counts transitions; the status itself is always recomputed from timestamps, never stored. */
  private noteStatus(e: EdgeEntry, now: number): void {
    const status = edgeStatus(e, now, this.opts.downAfterMs);
    if (status === e.reported) return;
    const previous = e.reported;
    e.reported = status;
    if (status === 'unknown') return;
    this.opts.metrics.healthTransitions.inc({ to: status });
    const fields = { edge: idOf(e), url: e.url, from: previous, lastError: e.lastError };
    if (status === 'down') this.opts.logger.warn(fields, 'edge down');
    else this.opts.logger.info(fields, 'edge up');
  }

  private view(e: EdgeEntry, now: number): EdgeView {
    const status = edgeStatus(e, now, this.opts.downAfterMs);
    const sources: Array<'config' | 'registry'> = [];
    if (e.fromConfig) sources.push('config');
    if (e.record) sources.push('registry');
    return {
      key: e.key,
      id: idOf(e),
      url: e.url,
      probeUrl: e.record?.internalUrl ?? e.url,
      region: e.configRegion ?? e.record?.region.toLowerCase() ?? UNASSIGNED_REGION,
      sources,
      status,
      healthy: status === 'up',
      originReachable: e.originReachable,
      load: loadOf(e),
      lastOkAt: e.lastOkAt,
      lastCheckAt: e.lastCheckAt,
      consecutiveFailures: e.consecutiveFailures,
      lastError: e.lastError,
    };
  }
}

function newEntry(key: string, url: string, fromConfig: boolean, configRegion: string | undefined): EdgeEntry {
  return {
    key,
    url,
    fromConfig,
    configRegion,
    record: undefined,
    lastId: undefined,
    recordSeenAt: 0,
    probeLoad: undefined,
    originReachable: undefined,
    lastOkAt: undefined,
    lastCheckAt: undefined,
    consecutiveFailures: 0,
    lastError: undefined,
    isDownNow: false,
    reported: 'unknown',
    inflight: undefined,
  };
}

function idOf(e: EdgeEntry): string {
  return e.record?.id ?? e.lastId ?? new URL(e.url).host;
}

/** The newer of the heartbeat's load and the /healthz body's load (both optional). */
function loadOf(e: EdgeEntry): number | undefined {
  const fromRecord = e.record ? { load: e.record.load, at: e.recordSeenAt } : undefined;
  if (fromRecord && e.probeLoad) return fromRecord.at >= e.probeLoad.at ? fromRecord.load : e.probeLoad.load;
  return (e.probeLoad ?? fromRecord)?.load;
}
