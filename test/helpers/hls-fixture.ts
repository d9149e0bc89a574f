// A tiny HLS server from memory (VOD + live playlists, random-byte segments) that counts every request it answers.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../../server/core/listen.ts';

export interface FixtureRendition {
  readonly name: string;
  readonly bandwidth: number;
  readonly segmentBytes: number;
}

export interface HlsFixtureOptions {
  readonly renditions?: readonly FixtureRendition[];
  /** Segments in each VOD media playlist. */
  readonly vodSegments?: number;
  readonly segmentDurationS?: number;
  /** Segments in the live sliding window. */
  readonly liveWindow?: number;
  /** Delay before answering, per request path. */
  readonly delayMs?: number | ((path: string) => number);
  /** Send X-Cache (MISS on a path's first request, HIT after), like an edge. Default true. */
  readonly xCache?: boolean;
  /** Write EXT-X-MAP init segments (fMP4 style). */
  readonly initSegment?: boolean;
  /** Milliseconds; drives the live window. */
  readonly clock?: () => number;
}

export interface FixtureCounts {
  /** Every media request answered (not /metrics or /healthz). */
  readonly total: number;
  readonly playlist: number;
  readonly segment: number;
  readonly bytes: number;
  readonly byXCache: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byPath: ReadonlyMap<string, number>;
}

export interface HlsFixture {
  readonly url: string;
  counts(): FixtureCounts;
  close(): Promise<void>;
}

const DEFAULT_RENDITIONS: readonly FixtureRendition[] = [
  { name: 'low', bandwidth: 400_000, segmentBytes: 20_000 },
  { name: 'high', bandwidth: 1_600_000, segmentBytes: 80_000 },
];

const ROUTE = /^\/(vod|live)\/([\w-]+)\/(?:master\.m3u8|([\w-]+)\/(index\.m3u8|init\.mp4|seg-(\d+)\.(?:ts|m4s)))$/;
const BYTES = /^\/bytes\/(\d{1,9})$/;

/**
 * Paths: /vod/{asset}/master.m3u8, /vod/{asset}/{rendition}/index.m3u8 and seg-{n}.ts (n < vodSegments), the same
 * under /live/{channel}/ with a sliding window, /bytes/{n} (n random bytes, for --mode max), /metrics (Prometheus text
 * with hls_origin_http_requests_total, so the fixture can stand in for an origin) and /healthz.
 */
export async function startHlsFixture(opts: HlsFixtureOptions = {}): Promise<HlsFixture> {
  const renditions = opts.renditions ?? DEFAULT_RENDITIONS;
  const vodSegments = opts.vodSegments ?? 10;
  const segS = opts.segmentDurationS ?? 2;
  const windowSize = opts.liveWindow ?? 5;
  const clock = opts.clock ?? (() => Date.now());
  const startMs = clock();
  const sendXCache = opts.xCache ?? true;
  const ext = opts.initSegment ? 'm4s' : 'ts';
  const bodies = new Map<number, Buffer>();
  const body = (n: number): Buffer => {
    let b = bodies.get(n);
    if (!b) {
      b = randomBytes(n);
      bodies.set(n, b);
    }
    return b;
  };

  const byPath = new Map<string, number>();
  const byXCache: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byKind = { playlist: 0, segment: 0 };
  let bytes = 0;

  const master = (): string =>
    ['#EXTM3U', '#EXT-X-VERSION:6', ...renditions.flatMap((r) => [`#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},CODECS="avc1.4d401e,mp4a.40.2"`, `${r.name}/index.m3u8`]), ''].join('\n');

  const media = (live: boolean): string => {
    let first = 0;
    let count = vodSegments;
    if (live) {
      // The channel has been running for a window already when the fixture starts.
      const current = Math.floor((clock() - startMs) / (segS * 1000)) + windowSize - 1;
      first = Math.max(0, current - windowSize + 1);
      count = current - first + 1;
    }
    const out = ['#EXTM3U', '#EXT-X-VERSION:6', `#EXT-X-TARGETDURATION:${Math.ceil(segS)}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
    if (!live) out.push('#EXT-X-PLAYLIST-TYPE:VOD');
    if (opts.initSegment) out.push('#EXT-X-MAP:URI="init.mp4"');
    for (let i = first; i < first + count; i++) out.push(`#EXTINF:${segS.toFixed(3)},`, `seg-${i}.${ext}`);
    if (!live) out.push('#EXT-X-ENDLIST');
    return `${out.join('\n')}\n`;
  };

  const metrics = (): string =>
    [
      '# HELP hls_origin_http_requests_total HTTP requests by kind and status class',
      '# TYPE hls_origin_http_requests_total counter',
      `hls_origin_http_requests_total{kind="media",status_class="2xx",role="origin"} ${byKind.playlist}`,
      `hls_origin_http_requests_total{kind="segment",status_class="2xx",role="origin"} ${byKind.segment}`,
      'hls_origin_http_requests_total{kind="other",status_class="2xx",role="origin"} 12345',
      '',
    ].join('\n');

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(metrics());
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      return;
    }
    const seen = (byPath.get(path) ?? 0) + 1;
    byPath.set(path, seen);
    const headers: Record<string, string> = { 'Cache-Control': 'no-cache' };
    const xc = seen === 1 ? 'MISS' : 'HIT';
    if (sendXCache) headers['X-Cache'] = xc;
    let status = 200;
    let payload: Buffer | string;
    let kind: 'playlist' | 'segment' = 'segment';
    const bytesMatch = BYTES.exec(path);
    const m = ROUTE.exec(path);
    const rendition = m?.[3] === undefined ? undefined : renditions.find((r) => r.name === m[3]);
    if (bytesMatch) {
      payload = body(Number(bytesMatch[1]));
    } else if (!m || (m[3] !== undefined && !rendition)) {
      status = 404;
      payload = 'not found';
    } else if (m[3] === undefined) {
      kind = 'playlist';
      payload = master();
    } else if (m[4] === 'index.m3u8') {
      kind = 'playlist';
      payload = media(m[1] === 'live');
    } else if (m[4] === 'init.mp4') {
      payload = body(512);
    } else {
      const n = Number(m[5]);
      if (m[1] === 'vod' && n >= vodSegments) {
        status = 404;
        payload = 'no such segment';
      } else {
        payload = body(rendition?.segmentBytes ?? 1000);
      }
    }
    headers['Content-Type'] = kind === 'playlist' ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
    byKind[kind] += 1;
    if (sendXCache) byXCache[xc] = (byXCache[xc] ?? 0) + 1;
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    bytes += Buffer.byteLength(payload);
    res.writeHead(status, headers).end(payload);
  };

  const server = await listen(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const delay = typeof opts.delayMs === 'function' ? opts.delayMs(path) : (opts.delayMs ?? 0);
      if (delay > 0) setTimeout(() => answer(req, res), delay);
      else answer(req, res);
    },
    { port: 0, keepAliveTimeoutMs: 60_000 },
  );
  return {
    url: server.url,
    counts: () => ({ total: byKind.playlist + byKind.segment, playlist: byKind.playlist, segment: byKind.segment, bytes, byXCache: { ...byXCache }, byStatus: { ...byStatus }, byPath: new Map(byPath) }),
    close: () => server.close(),
  };
}
