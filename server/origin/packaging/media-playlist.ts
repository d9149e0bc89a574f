// VOD media playlists: read the segment list ffmpeg wrote, measure bit rates, and write the playlist we serve.

export interface MediaSegment {
  readonly uri: string;
  readonly durationSeconds: number;
}

export interface MeasuredSegment extends MediaSegment {
  readonly bytes: number;
}

const EXTINF = /^#EXTINF:([0-9.]+)/;

/** Segments of a media playlist (EXTINF and URI lines); other tags are ignored. */
export function parseMediaSegments(text: string): MediaSegment[] {
  const segments: MediaSegment[] = [];
  let pending: number | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const m = EXTINF.exec(line);
    if (m) {
      pending = Number(m[1]);
    } else if (!line.startsWith('#') && pending !== undefined) {
      segments.push({ uri: line, durationSeconds: pending });
      pending = undefined;
    }
  }
  return segments;
}

/** RFC 8216 §4.3.3.1: every EXTINF, rounded to the nearest integer, must be ≤ the target duration. */
export function targetDuration(segments: readonly MediaSegment[]): number {
  return Math.max(1, ...segments.map((s) => Math.round(s.durationSeconds)));
}

/**
 * A complete VOD media playlist: PLAYLIST-TYPE VOD (§4.3.3.5) and ENDLIST (§4.3.3.4), so players and caches know it
 * never changes; INDEPENDENT-SEGMENTS (§4.3.5.1) because each segment starts with a keyframe.
 */
export function renderMediaPlaylist(segments: readonly MediaSegment[]): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${targetDuration(segments)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (const s of segments) lines.push(`#EXTINF:${s.durationSeconds.toFixed(6)},`, s.uri);
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * Peak segment bit rate (RFC 8216 §4): the largest bit rate of any contiguous run of segments lasting 0.5 to 1.5
 * target durations, sizes including container overhead. A short last segment alone would otherwise overstate the
 * peak. With no qualifying run (a very short asset) the average of the whole playlist is used.
 */
export function peakBitRate(segments: readonly MeasuredSegment[]): number {
  const td = targetDuration(segments);
  let peak = 0;
  for (let i = 0; i < segments.length; i++) {
    let bytes = 0;
    let seconds = 0;
    for (let j = i; j < segments.length; j++) {
      const s = segments[j];
      if (!s) break;
      bytes += s.bytes;
      seconds += s.durationSeconds;
      if (seconds > 1.5 * td) break;
      if (seconds >= 0.5 * td) peak = Math.max(peak, (bytes * 8) / seconds);
    }
  }
  return peak > 0 ? Math.ceil(peak) : averageBitRate(segments);
}

/** Average segment bit rate (RFC 8216 §4): all bits over the playlist's duration. */
export function averageBitRate(segments: readonly MeasuredSegment[]): number {
  const seconds = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  const bytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  return seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
}
