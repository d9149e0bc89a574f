// The segment a killed live ffmpeg was writing, read as it is, so its viewers lose none of the picture it had encoded.
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import { probeVideoSpan } from './probe.ts';
import type { SegmentListEntry } from './segment-list.ts';

const TS_PACKET_BYTES = 188;
/** Less than this (a few frames) is not worth a playlist entry. */
export const MIN_PARTIAL_SECONDS = 0.2;

export interface PartialSegmentOptions {
  /** Rendition name → the folder its segments are written to. */
  readonly dirs: ReadonlyMap<string, string>;
  /** The segment the run was writing (the number after its last finished one). */
  readonly filename: string;
  /** Where the run's last finished segment ended, in the run's timestamps (the segment list's clock). */
  readonly startSeconds: number;
  readonly ffmpeg: FfmpegPaths;
}

/**
 * The unfinished MPEG-TS segment `filename` of every rendition as a segment-list entry, or undefined when any rendition
 * has none worth publishing (then none is published and the next run writes over the files). ffmpeg writes every packet
 * as it muxes it (`flush_packets`), so the file ends on whole TS packets unless the kill cut a write short; a trailing
 * piece of a packet is cut off. The length is that of the video ffprobe finds in the file.
 */
export async function readPartialSegments(o: PartialSegmentOptions): Promise<Map<string, SegmentListEntry> | undefined> {
  const spans = await Promise.all(
    [...o.dirs].map(async ([rendition, dir]): Promise<[string, number | undefined]> => {
      const path = join(dir, o.filename);
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      const whole = size - (size % TS_PACKET_BYTES);
      if (whole < TS_PACKET_BYTES) return [rendition, undefined];
      if (whole !== size) await truncate(path, whole);
      return [rendition, await probeVideoSpan(o.ffmpeg, path).catch(() => undefined)];
    }),
  );
  const out = new Map<string, SegmentListEntry>();
  for (const [rendition, span] of spans) {
    if (span === undefined || span < MIN_PARTIAL_SECONDS) return undefined;
    out.set(rendition, { filename: o.filename, startSeconds: o.startSeconds, endSeconds: o.startSeconds + span });
  }
  return out;
}
