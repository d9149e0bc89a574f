// What a player reports with CMCD (CTA-5004) on one edge request: a few fields for the access log, counted in /metrics.
import type { IncomingHttpHeaders } from 'node:http';
import type { CmcdMetrics } from './edge-metrics.ts';
import { cmcdQueryParam, parseCmcd, type CmcdData, type CmcdObjectType } from './cmcd.ts';

/** The CMCD keys the access log line carries: enough to follow one session's requests and its buffer. */
export interface CmcdLogFields {
  /** Session id. */
  sid?: string;
  /** Encoded bitrate of the object, kbps. */
  br?: number;
  /** Buffer length, ms. */
  bl?: number;
  /** Measured throughput, kbps. */
  mtp?: number;
  ot?: CmcdObjectType;
  /** Startup / urgent. */
  su?: boolean;
  /** Buffer starvation since the previous request. */
  bs?: boolean;
}

export interface CmcdReport {
  readonly log: CmcdLogFields;
  /** The `object_type` label: the `ot` token, or "none" when the player did not send one. */
  readonly objectType: CmcdObjectType | 'none';
  readonly isStarved: boolean;
  readonly isStartup: boolean;
  readonly bufferLengthS: number | undefined;
  readonly throughputKbps: number | undefined;
  /** Entries of the keys read that the parser dropped (wrong type, unknown shape, too long). */
  readonly problems: number;
}

/** The keys the log line and the metrics use: the parser skips every other entry. */
const READ_KEYS: ReadonlySet<keyof CmcdData> = new Set<keyof CmcdData>(['sid', 'br', 'bl', 'mtp', 'ot', 'su', 'bs']);

/** True when the request carries CMCD in the query (`CMCD=`) or in one of the four CMCD-* headers (CTA-5004 §2.1). */
export function hasCmcd(query: string | undefined, headers: IncomingHttpHeaders): boolean {
  // A substring test and four property reads: requests without CMCD (most load tools, curl) pay nothing more.
  return (
    (query !== undefined && query.includes('CMCD=')) ||
    headers['cmcd-request'] !== undefined ||
    headers['cmcd-object'] !== undefined ||
    headers['cmcd-status'] !== undefined ||
    headers['cmcd-session'] !== undefined
  );
}

/** The CMCD of one request (raw query without "?", and the request headers), or undefined when it carries none. */
export function cmcdReport(query: string | undefined, headers: IncomingHttpHeaders): CmcdReport | undefined {
  if (!hasCmcd(query, headers)) return undefined;
  const request = headers['cmcd-request'];
  const object = headers['cmcd-object'];
  const status = headers['cmcd-status'];
  const session = headers['cmcd-session'];
  const parsed = parseCmcd({
    only: READ_KEYS,
    query: query === undefined ? undefined : cmcdQueryParam(query),
    // Only the CMCD shards, and none at all when the player sent none (hls.js sends CMCD in the query).
    headers: request === undefined && object === undefined && status === undefined && session === undefined ? undefined : { 'cmcd-request': request, 'cmcd-object': object, 'cmcd-status': status, 'cmcd-session': session },
  });
  const d = parsed.data;
  const log: CmcdLogFields = {};
  if (d.sid !== undefined) log.sid = d.sid;
  if (d.br !== undefined) log.br = d.br;
  if (d.bl !== undefined) log.bl = d.bl;
  if (d.mtp !== undefined) log.mtp = d.mtp;
  if (d.ot !== undefined) log.ot = d.ot;
  if (d.su !== undefined) log.su = d.su;
  if (d.bs !== undefined) log.bs = d.bs;
  return {
    log,
    objectType: d.ot ?? 'none',
    isStarved: d.bs === true,
    isStartup: d.su === true,
    // CTA-5004 gives bl in ms (rounded to 100 ms); Prometheus wants seconds.
    bufferLengthS: d.bl === undefined ? undefined : d.bl / 1000,
    throughputKbps: d.mtp,
    problems: parsed.problems.length,
  };
}

/** Count one request's CMCD: labels stay low-cardinality (object type, a boolean), never the session id. */
export function countCmcd(report: CmcdReport, m: CmcdMetrics): void {
  m.countRequest(report.objectType, report.isStarved);
  if (report.isStarved) m.countStarvation();
  if (report.isStartup) m.countStartup(report.objectType);
  if (report.bufferLengthS !== undefined) m.bufferLength.observe(report.bufferLengthS);
  if (report.throughputKbps !== undefined) m.throughput.observe(report.throughputKbps);
  if (report.problems > 0) m.countInvalid();
}
