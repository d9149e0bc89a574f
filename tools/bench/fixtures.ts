// The benchmark's media folder: a ~1.25 MB segment and a 548-byte media playlist, cold segments, and a real asset.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { makeClip } from '../media/clip.ts';
import { runCommand } from './processes.ts';

/** Sizes of the reference figures (issue 3, "Speed"). */
export const SEGMENT_BYTES = 1_250_000;
export const PLAYLIST_BYTES = 548;

export const HOT_ASSET = 'bench';
export const COLD_ASSET = 'cold';
export const HERD_ASSET = 'herd';
export const VIEWER_ASSET = 'sample';

export const SEGMENT_PATH = `/vod/${HOT_ASSET}/r/seg-00000.ts`;
export const PLAYLIST_PATH = `/vod/${HOT_ASSET}/r/index.m3u8`;
export const VIEWER_MASTER_PATH = `/vod/${VIEWER_ASSET}/master.m3u8`;

export interface ColdFiles {
  /** Requested once each through the edge. */
  readonly viaEdge: readonly string[];
  /** Requested once each straight from the origin. */
  readonly direct: readonly string[];
  /** Requested once each through an edge without Redis (to show what the Redis lookups cost a miss). */
  readonly viaEdgeNoRedis: readonly string[];
  /** The back-to-back pass: through the edge, next to `backToBackDirect` only (nothing else between two misses). */
  readonly backToBackEdge: readonly string[];
  readonly backToBackDirect: readonly string[];
}

/** A VOD media playlist (RFC 8216 §4.3.3) of exactly `size` bytes: 4 s segments, padded with a comment line (§4.1). */
export function mediaPlaylistOfSize(size: number): string {
  const head = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n';
  const end = '#EXT-X-ENDLIST\n';
  let body = '';
  for (let i = 0; ; i++) {
    const line = `#EXTINF:4.000,\nseg-${String(i).padStart(5, '0')}.ts\n`;
    // Leave room for a padding comment ("#" + at least one character + newline).
    if (head.length + body.length + line.length + end.length + 3 > size) break;
    body += line;
  }
  const room = size - head.length - body.length - end.length;
  const pad = room >= 3 ? `#${'-'.repeat(room - 2)}\n` : '';
  const text = head + body + pad + end;
  if (Buffer.byteLength(text) !== size) throw new Error(`playlist of ${size} bytes: built ${Buffer.byteLength(text)}`);
  return text;
}

/** The hot asset: one segment of SEGMENT_BYTES and one media playlist of PLAYLIST_BYTES. */
export function writeHotAsset(mediaDir: string): void {
  const dir = join(mediaDir, 'hls', HOT_ASSET, 'r');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'seg-00000.ts'), randomBytes(SEGMENT_BYTES));
  writeFileSync(join(dir, 'index.m3u8'), mediaPlaylistOfSize(PLAYLIST_BYTES));
}

/** `count` never-requested segments of SEGMENT_BYTES for each side of the miss comparison. */
export function writeColdAsset(mediaDir: string, count: number): ColdFiles {
  const dir = join(mediaDir, 'hls', COLD_ASSET, 'r');
  mkdirSync(dir, { recursive: true });
  const body = randomBytes(SEGMENT_BYTES);
  const viaEdge: string[] = [];
  const direct: string[] = [];
  const viaEdgeNoRedis: string[] = [];
  const backToBackEdge: string[] = [];
  const backToBackDirect: string[] = [];
  for (let i = 0; i < count; i++) {
    for (const [k, [side, list]] of ([['e', viaEdge], ['o', direct], ['n', viaEdgeNoRedis], ['b', backToBackEdge], ['d', backToBackDirect]] as const).entries()) {
      const name = `${side}-${String(i).padStart(5, '0')}.ts`;
      // Different first bytes per file, so no two objects are the same bytes.
      body[0] = i & 0xff;
      body[1] = k;
      writeFileSync(join(dir, name), body);
      list.push(`/vod/${COLD_ASSET}/r/${name}`);
    }
  }
  return { viaEdge, direct, viaEdgeNoRedis, backToBackEdge, backToBackDirect };
}

/** `count` never-requested segments of SEGMENT_BYTES for the herd section (each herd and each lone request gets its own). */
export function writeHerdFiles(mediaDir: string, count: number): string[] {
  const dir = join(mediaDir, 'hls', HERD_ASSET, 'r');
  mkdirSync(dir, { recursive: true });
  const body = randomBytes(SEGMENT_BYTES);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `h-${String(i).padStart(5, '0')}.ts`;
    body.writeUInt32BE(i, 0);
    writeFileSync(join(dir, name), body);
    out.push(`/vod/${HERD_ASSET}/r/${name}`);
  }
  return out;
}

/**
 * The real asset for the viewer runs: a copy of media/hls/sample when it was packaged in this checkout
 * (`edgeline sample`), else a short generated clip packaged here (two renditions, ultrafast).
 */
export async function writeViewerAsset(mediaDir: string, repoRoot: string, note: (s: string) => void): Promise<string> {
  const sample = resolve(repoRoot, 'media', 'hls', VIEWER_ASSET);
  const target = join(mediaDir, 'hls', VIEWER_ASSET);
  if (existsSync(join(sample, 'master.m3u8'))) {
    cpSync(sample, target, { recursive: true });
    return `media/hls/${VIEWER_ASSET} (copied)`;
  }
  note('media/hls/sample is missing: packaging a 24 s 640x360 clip (240p, 360p) for the viewer runs');
  const clip = await makeClip({ seconds: 24, width: 640, height: 360, fps: 25 });
  const { code, output } = await runCommand(
    process.execPath,
    [join(repoRoot, 'bin', 'edgeline.js'), 'package', clip, '--id', VIEWER_ASSET, '--media', mediaDir, '--ladder', '360p,240p', '--preset', 'ultrafast', '--segment-seconds', '4'],
    300_000,
  );
  if (code !== 0 || !existsSync(join(target, 'master.m3u8'))) throw new Error(`packaging the viewer asset failed (exit ${code}):\n${output.slice(-1500)}`);
  return 'generated 24 s clip, 360p + 240p';
}
