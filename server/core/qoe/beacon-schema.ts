// The QoE beacon the player POSTs to /qoe: one zod schema, the single source of truth for the player and the receiver.
import { z } from 'zod';
import { BEACON_MAX_ERRORS, BEACON_MAX_SEGMENTS } from './beacon-limits.ts';

export { BEACON_MAX_BYTES, BEACON_MAX_ERRORS, BEACON_MAX_SEGMENTS } from './beacon-limits.ts';

import { srcWithoutQuery } from './beacon-src.ts';

export { srcWithoutQuery };

const ms = z.number().finite().min(0).max(86_400_000);
const count = z.number().int().min(0).max(1_000_000);
const kbps = z.number().finite().min(0).max(10_000_000);

export const beaconSegmentSchema = z.object({
  /** Media sequence number; -1 for an init segment. */
  sn: z.number().int().min(-1),
  level: z.number().int().min(-1).max(1000),
  type: z.enum(['main', 'audio', 'subtitle']),
  isInit: z.boolean(),
  /** When the download finished, ms since the play request. */
  atMs: ms,
  /** The segment's media duration (EXTINF), seconds. */
  durationS: z.number().finite().min(0).max(3600),
  bytes: z.number().int().min(0).max(2 ** 40),
  ttfbMs: ms,
  downloadMs: ms,
  throughputKbps: kbps,
  /** The response's X-Cache header as received (null when absent or not exposed via CORS). */
  xCache: z.string().max(64).nullable(),
});

export const beaconErrorSchema = z.object({
  atMs: ms,
  type: z.string().max(64),
  details: z.string().max(128),
  fatal: z.boolean(),
});

export const beaconMetricsSchema = z.object({
  /** Play request -> `playing` with the playhead advancing; null until playback has started. */
  startupMs: ms.nullable(),
  /** Play request -> first byte of the first media segment. */
  firstSegmentTtfbMs: ms.nullable(),
  stallCount: count,
  stallMs: ms,
  watchMs: ms,
  avgBitrateKbps: kbps.nullable(),
  peakBitrateKbps: kbps.nullable(),
  renditionSwitches: count,
  droppedFrames: count,
  totalFrames: count,
  fatalErrors: count,
  recoveries: count,
  nonFatalErrors: count,
  currentTimeS: z.number().finite().min(0).max(1e7),
  bufferS: z.number().finite().min(0).max(1e5),
  /** Rendition being played (hls.js level index), -1 before the first one. */
  level: z.number().int().min(-1).max(1000),
});

export const beaconSchema = z.object({
  v: z.literal(1),
  type: z.enum(['start', 'update', 'final']),
  /** Increases by one per beacon of a session; repeats and reorderings are ignored. */
  seq: z.number().int().min(0).max(1_000_000),
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'sessionId must be 8-64 characters of [A-Za-z0-9_-]'),
  /** The playlist URL; stored without its query and fragment (see srcWithoutQuery). */
  src: z.string().min(1).max(2048).transform(srcWithoutQuery),
  /** Free label from the page's ?arm= (used by `edgeline compare`); not a metric label. */
  arm: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'arm must be 1-64 characters of [A-Za-z0-9._-]').nullable(),
  /** ms since the play request when the beacon was built. */
  sentAtMs: ms,
  metrics: beaconMetricsSchema,
  /** Segment records loaded since the previous beacon. */
  segments: z.array(beaconSegmentSchema).max(BEACON_MAX_SEGMENTS),
  /** Errors since the previous beacon. */
  errors: z.array(beaconErrorSchema).max(BEACON_MAX_ERRORS),
});

export type Beacon = z.infer<typeof beaconSchema>;
export type BeaconSegment = z.infer<typeof beaconSegmentSchema>;
export type BeaconError = z.infer<typeof beaconErrorSchema>;
export type BeaconMetrics = z.infer<typeof beaconMetricsSchema>;
export type BeaconType = Beacon['type'];
