// After encoding: measure each rendition from its files (bit rates, codecs, size, frame rate) and write its playlist.
import { readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackagingError } from '../../core/errors.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import type { RenditionPlan } from './ladder.ts';
import { aacCodecString, avcCodecString } from '../../core/hls/codecs.ts';
import { readMediaPlaylist } from '../../core/hls/read-playlist.ts';
import { writeMediaPlaylist } from '../../core/hls/write-media.ts';
import type { VariantSpec } from '../../core/hls/write-master.ts';
import { FFMPEG_PLAYLIST, INIT_SEGMENT } from './ffmpeg-args.ts';
import { averageBitRate, peakBitRate, type MeasuredSegment } from './bit-rates.ts';
import type { PackagedRendition } from './types.ts';
import { probeStreams, type ProbedStream } from './probe.ts';

export const MEDIA_PLAYLIST = 'index.m3u8';

export interface MeasuredRendition {
  readonly rendition: PackagedRendition;
  readonly variant: VariantSpec;
  readonly segments: readonly MeasuredSegment[];
}

// What x264 writes for each profile we ask for, should ffprobe name a profile we do not know.
const PLANNED_PROFILE_NAMES = { baseline: 'Constrained Baseline', main: 'Main', high: 'High' } as const;

// A private dot-file (never served) holding the init segment and the first fMP4 segment, which ffprobe reads as one file.
const FIRST_CMAF_PROBE = '.first-segment.mp4';

/**
 * The streams of the first segment. An fMP4 segment says nothing about its codecs without its init segment (and ffprobe
 * cannot name the profile from the init segment alone, which has no samples), so the two are probed as one file.
 */
async function probeFirstSegment(renditionDir: string, first: MeasuredSegment, mapUri: string | undefined, paths: FfmpegPaths, signal?: AbortSignal): Promise<ProbedStream[]> {
  if (mapUri === undefined) return probeStreams(paths, join(renditionDir, first.uri), signal);
  const joined = join(renditionDir, FIRST_CMAF_PROBE);
  try {
    await writeFile(joined, Buffer.concat([await readFile(join(renditionDir, mapUri)), await readFile(join(renditionDir, first.uri))]));
    return await probeStreams(paths, joined, signal, 'mov');
  } finally {
    await rm(joined, { force: true });
  }
}

/** Reads ffmpeg's playlist and segment sizes, probes the first segment, and writes {rendition}/index.m3u8. */
export async function measureRendition(renditionDir: string, plan: RenditionPlan, paths: FfmpegPaths, signal?: AbortSignal): Promise<MeasuredRendition> {
  const ffmpegPlaylist = join(renditionDir, FFMPEG_PLAYLIST);
  const read = readMediaPlaylist(await readFile(ffmpegPlaylist, 'utf8'), { source: `${plan.name}/${FFMPEG_PLAYLIST}` });
  const listed = read.segments;
  if (listed.length === 0) throw new PackagingError(`rendition ${plan.name}: ffmpeg wrote no segments`, '', 'PACKAGING_FAILED');
  // CMAF: one init segment for the whole rendition, the one we asked ffmpeg for.
  const mapUri = read.mapUri;
  if (mapUri !== undefined && (mapUri !== INIT_SEGMENT || listed.some((s) => s.mapUri !== mapUri))) {
    throw new PackagingError(`rendition ${plan.name}: ffmpeg wrote init segment "${mapUri}", expected one "${INIT_SEGMENT}" for every segment`, '', 'PACKAGING_FAILED');
  }
  const segments: MeasuredSegment[] = [];
  for (const s of listed) segments.push({ uri: s.uri, durationSeconds: s.durationSeconds, bytes: (await stat(join(renditionDir, s.uri))).size });

  const first = segments[0];
  const streams = first ? await probeFirstSegment(renditionDir, first, mapUri, paths, signal) : [];
  const video = streams.find((s) => s.type === 'video');
  const audio = streams.find((s) => s.type === 'audio');
  const codecs: string[] = [];
  if (video) {
    const planned = plan.video;
    const fromProbe = avcCodecString(video.profile ?? '', video.level ?? 0);
    const fromPlan = planned ? avcCodecString(PLANNED_PROFILE_NAMES[planned.profile], planned.level) : undefined;
    const avc = fromProbe ?? fromPlan;
    if (!avc) throw new PackagingError(`rendition ${plan.name}: cannot name H.264 profile "${video.profile ?? '?'}" in CODECS`, '', 'PACKAGING_FAILED');
    codecs.push(avc);
  }
  if (audio) codecs.push(aacCodecString(audio.profile));

  const frameRate = video?.frameRate ? Math.round((video.frameRate.num / video.frameRate.den) * 1000) / 1000 : undefined;
  const width = video?.width;
  const height = video?.height;
  const bandwidth = peakBitRate(segments);
  const averageBandwidth = averageBitRate(segments);

  const format = mapUri === undefined ? {} : { segmentFormat: 'fmp4' as const, mapUri };
  await writeFile(join(renditionDir, MEDIA_PLAYLIST), writeMediaPlaylist({ kind: 'vod', segments, ...format }));
  await unlink(ffmpegPlaylist);

  const codecList = codecs.join(',');
  return {
    rendition: { name: plan.name, width, height, bandwidth, averageBandwidth, codecs: codecList, frameRate, segments: segments.length },
    variant: {
      uri: `${plan.name}/${MEDIA_PLAYLIST}`,
      bandwidth,
      averageBandwidth,
      codecs: codecList,
      resolution: width && height ? { width, height } : undefined,
      frameRate,
    },
    segments,
  };
}

/**
 * Every rendition must cut at the same instants (same count, boundaries within a frame or two) or players glitch
 * when they switch; a mismatch means the keyframe forcing failed, and the asset is refused rather than published.
 */
export function checkAlignment(measured: readonly MeasuredRendition[], toleranceSeconds = 0.1): string | undefined {
  const [reference, ...others] = measured;
  if (!reference) return undefined;
  const boundaries = (segs: readonly MeasuredSegment[]): number[] => {
    let t = 0;
    return segs.map((s) => (t += s.durationSeconds));
  };
  const ref = boundaries(reference.segments);
  for (const m of others) {
    const b = boundaries(m.segments);
    if (b.length !== ref.length) {
      return `rendition ${m.rendition.name} has ${b.length} segments but ${reference.rendition.name} has ${ref.length}`;
    }
    const i = b.findIndex((t, k) => Math.abs(t - (ref[k] ?? 0)) > toleranceSeconds);
    if (i >= 0) return `segment ${i} of rendition ${m.rendition.name} ends at ${b[i]?.toFixed(3)} s, not ${ref[i]?.toFixed(3)} s`;
  }
  return undefined;
}
