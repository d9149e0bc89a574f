// The master playlist's variant attributes of a live channel, measured on the first segment each rendition finished.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import type { Logger } from '../../core/log.ts';
import type { VariantSpec } from '../../core/hls/write-master.ts';
import type { LiveSegment } from './sliding-window.ts';
import { probeSegmentCodecs } from './probe.ts';
import type { LiveRendition } from './types.ts';

/** VBV lets x264 overshoot its target within a segment, and MPEG-TS adds packet and PES headers. */
const PEAK_FACTOR = 1.25;

export interface MeasureLiveVariantsOptions {
  /** The channel folder: {rendition}/{segment uri} are read from it. */
  readonly dir: string;
  readonly renditions: readonly LiveRendition[];
  /** The first published segment of each rendition, by rendition name. */
  readonly firstSegments: ReadonlyMap<string, LiveSegment>;
  readonly hasAudio: boolean;
  readonly audioKbps: number;
  readonly frameRate: number;
  readonly ffmpeg: FfmpegPaths;
  readonly logger: Logger;
}

/**
 * BANDWIDTH must be the peak segment bit rate (RFC 8216 §4.3.4.2), which a live stream cannot know ahead: take the larger
 * of the nominal rate and the first segment's, with headroom. CODECS is what x264 actually wrote, read by ffprobe.
 */
export async function measureLiveVariants(o: MeasureLiveVariantsOptions): Promise<VariantSpec[]> {
  const variants: VariantSpec[] = [];
  for (const r of o.renditions) {
    const first = o.firstSegments.get(r.name);
    const nominalBps = (r.videoKbps + (o.hasAudio ? o.audioKbps : 0)) * 1000;
    let measuredBps = 0;
    let codecs: string | undefined;
    if (first) {
      const file = join(o.dir, r.name, first.uri);
      // An fMP4 segment names its codecs only with its init segment: probe the two as one file (never served: a dot-file).
      const joined = first.mapUri === undefined ? undefined : join(o.dir, r.name, `.probe-${first.uri}.mp4`);
      try {
        measuredBps = ((await stat(file)).size * 8) / Math.max(0.1, first.durationSeconds);
        if (joined && first.mapUri !== undefined) await writeFile(joined, Buffer.concat([await readFile(join(o.dir, r.name, first.mapUri)), await readFile(file)]));
        codecs = await probeSegmentCodecs(o.ffmpeg, joined ?? file);
      } catch (err) {
        o.logger.warn({ err, file }, 'could not probe the first live segment');
      } finally {
        if (joined) await rm(joined, { force: true });
      }
    }
    if (!codecs) o.logger.warn({ rendition: r.name }, 'CODECS not measured; assuming x264 ultrafast (Constrained Baseline 3.0)');
    variants.push({
      uri: `${r.name}/index.m3u8`,
      bandwidth: Math.ceil(Math.max(nominalBps, measuredBps) * PEAK_FACTOR),
      resolution: { width: r.width, height: r.height },
      codecs: codecs ?? (o.hasAudio ? 'avc1.42c01e,mp4a.40.2' : 'avc1.42c01e'),
      frameRate: o.frameRate,
    });
  }
  return variants;
}
