// One playback session of a comparison arm, and the narrowing of what the server (/qoe/sessions/{id}) or the page returned.
import { z } from 'zod';
import { beaconMetricsSchema, beaconSegmentSchema, type BeaconMetrics, type BeaconSegment } from '../../server/core/qoe/beacon-schema.ts';
import type { ArmName } from './compare-options.ts';

export interface SessionResult {
  readonly arm: ArmName;
  /** 1-based within its arm. */
  readonly index: number;
  /** 1-based wave of sessions that started together. */
  readonly wave: number;
  readonly sessionId: string | null;
  /** Where the numbers come from: the server's record built from beacons, else the page's own snapshot. */
  readonly source: 'server' | 'page' | 'none';
  /** null when the page never reported anything (it failed to load). */
  readonly metrics: BeaconMetrics | null;
  readonly segments: readonly BeaconSegment[];
  /** Beacons the server accepted for this session (0 when the server had none). */
  readonly beacons: number;
  /** Playlist and segment requests the page sent (init segments included), counted by the browser. */
  readonly viewerRequests: number;
  /** Epoch ms when the page was opened. */
  readonly startedAt: number;
  readonly error: string | null;
}

/** What GET /qoe/sessions/{id} answers, reduced to what the comparison reads (extra fields are dropped). */
export const serverSessionSchema = z.object({
  sessionId: z.string(),
  arm: z.string().nullable(),
  beacons: z.number().int().min(0),
  finalizedBy: z.string().nullable(),
  metrics: beaconMetricsSchema,
  segments: z.array(beaconSegmentSchema),
});

export type ServerSession = z.infer<typeof serverSessionSchema>;

/** `window.__edgelineQoe` as read from the page: the metrics plus every segment record. */
export const pageSnapshotSchema = beaconMetricsSchema.extend({
  sessionId: z.string(),
  beaconsSent: z.number().int().min(0),
  segments: z.array(beaconSegmentSchema),
});

export type PageSnapshot = z.infer<typeof pageSnapshotSchema>;

export function parseServerSession(body: unknown): ServerSession | undefined {
  const parsed = serverSessionSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

export function parsePageSnapshot(value: unknown): PageSnapshot | undefined {
  const parsed = pageSnapshotSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The metric fields of a page snapshot (the snapshot carries more). */
export function metricsOfSnapshot(s: PageSnapshot): BeaconMetrics {
  // zod objects drop unknown keys, so parsing again keeps exactly the metric fields.
  return beaconMetricsSchema.parse(s);
}
