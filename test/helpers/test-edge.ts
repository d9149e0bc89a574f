// An Edge (server/edge/exchange.ts) assembled from its in-process parts, a scripted upstream and an injected clock:
// what the pipeline's unit tests drive, with no createEdgeApp, no network and no Redis.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { parseRange } from '../../server/core/http/range.ts';
import { rootLogger } from '../../server/core/log.ts';
import { Behaviors } from '../../server/edge/behaviors.ts';
import type { RawHeaders } from '../../server/edge/cache-entry.ts';
import { LocalFills } from '../../server/edge/collapsing.ts';
import { commonHeaders } from '../../server/edge/deliver.ts';
import { createEdgeMetrics } from '../../server/edge/edge-metrics.ts';
import { MemoryTier } from '../../server/edge/memory-tier.ts';
import type { UpstreamResponse, Validators } from '../../server/edge/origin-client.ts';
import { newExchange, runPipeline, type Edge, type Exchange } from '../../server/edge/pipeline.ts';
import { PurgeLog } from '../../server/edge/purge-log.ts';
import { SendingObjects } from '../../server/edge/sending-objects.ts';
import { FakeSink } from './fake-sink.ts';

/** One upstream answer whose body the test writes when it wants: chunk by chunk, then end or fail. */
export class ScriptedAnswer {
  readonly body = new PassThrough();
  constructor(readonly status: number, readonly headers: RawHeaders) {}
  push(text: string): void {
    this.body.write(Buffer.from(text));
  }
  end(text?: string): void {
    this.body.end(text === undefined ? undefined : Buffer.from(text));
  }
  fail(message = 'upstream reset'): void {
    this.body.destroy(new Error(message));
  }
}

export class ScriptedUpstream {
  readonly calls: Array<{ path: string; validators: Validators | undefined }> = [];
  private readonly waiting = new Map<string, Array<(a: ScriptedAnswer) => void>>();
  private readonly answers = new Map<string, ScriptedAnswer[]>();

  /** The next fetch of `path` gets this answer (queued if no fetch is waiting yet). */
  answer(path: string, status: number, headers: RawHeaders): ScriptedAnswer {
    const a = new ScriptedAnswer(status, headers);
    const w = this.waiting.get(path)?.shift();
    if (w) w(a);
    else this.answers.set(path, [...(this.answers.get(path) ?? []), a]);
    return a;
  }

  private readonly refusals = new Map<string, Error[]>();

  /** The next fetch of `path` fails with `err` (the upstream unreachable), before any answer queued for it. */
  refuse(path: string, err: Error): void {
    this.refusals.set(path, [...(this.refusals.get(path) ?? []), err]);
  }

  fetch(path: string, validators?: Validators): Promise<UpstreamResponse> {
    this.calls.push({ path, validators });
    const refused = this.refusals.get(path)?.shift();
    if (refused) return Promise.reject(refused);
    const respond = (a: ScriptedAnswer): UpstreamResponse => ({ status: a.status, headers: a.headers, body: a.body, upstream: 'origin', baseUrl: 'scripted', requestedAt: Date.now(), respondedAt: Date.now() });
    const queued = this.answers.get(path)?.shift();
    if (queued) return Promise.resolve(respond(queued));
    return new Promise((resolve) => this.waiting.set(path, [...(this.waiting.get(path) ?? []), (a) => resolve(respond(a))]));
  }

  callsFor(path: string): number {
    return this.calls.filter((c) => c.path === path).length;
  }
}

export interface TestEdge {
  readonly edge: Edge;
  readonly upstream: ScriptedUpstream;
  readonly behaviors: Behaviors;
  /** The edge's clock, in ms since the epoch: move it to age objects. */
  now: number;
  /** Starts one viewer request through the pipeline; resolves once its response is complete. */
  get(path: string, headers?: Record<string, string>, method?: 'GET' | 'HEAD', sink?: FakeSink): { sink: FakeSink; x: Exchange; done: Promise<void> };
  /** Background work (stores, refreshes) the pipeline started, settled. */
  settled(): Promise<void>;
}

export function testEdge(opts: { maxObjectBytes?: number; memoryBytes?: number } = {}): TestEdge {
  const upstream = new ScriptedUpstream();
  const background = new Set<Promise<unknown>>();
  const behaviors = new Behaviors();
  const maxObjectBytes = opts.maxObjectBytes ?? 1024 * 1024;
  const t: { now: number } = { now: 1_900_000_000_000 };
  const clock = (): number => t.now;
  const edge: Edge = {
    clock,
    memory: new MemoryTier({ maxBytes: opts.memoryBytes ?? 64 * 1024 * 1024, maxObjectBytes }),
    redis: undefined,
    remote: undefined,
    fills: new LocalFills(),
    purges: new PurgeLog({ clock, retentionMs: 600_000, maxRecords: 1_000 }),
    sending: new SendingObjects(),
    upstream,
    metrics: createEdgeMetrics({ processMetrics: false }),
    logger: rootLogger,
    common: commonHeaders('edge-t'),
    maxObjectBytes,
    lockTtlMs: 5_000,
    accessLog: undefined,
    track(work) {
      background.add(work);
      void work.catch(() => undefined).finally(() => background.delete(work));
    },
  };
  return Object.assign(t, {
    edge,
    upstream,
    behaviors,
    get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET', sink = new FakeSink()) {
      const req = { method, headers, url: path } as unknown as IncomingMessage;
      const range = parseRange(method, headers['range']);
      const conditional = headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined;
      const x = newExchange({ req, res: sink, key: path, behavior: behaviors.match(path), isHead: method === 'HEAD', range, canStream: method === 'GET' && range.kind === 'none' && !conditional, startedAt: performance.now() });
      const done = runPipeline(x, edge) ?? Promise.resolve();
      return { sink, x, done };
    },
    async settled() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  });
}

/** Lets every promise callback and stream event queued so far run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
