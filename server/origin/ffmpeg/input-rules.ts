// What ffmpeg may do with a file it did not write: read that one file only, with a container demuxer from an allow-list.
//
// Playlist and manifest demuxers (dash, hls, concat, ffconcat, image2 patterns, …) open other files and URLs named
// inside the upload: a DASH manifest with <BaseURL>file:///secret</BaseURL> or http://127.0.0.1/… is followed
// (a local file read, a blind SSRF). So the container is identified first without letting any demuxer read its
// header, checked against ALLOWED_DEMUXERS, and every later ffprobe/ffmpeg run is pinned to that demuxer (`-f`), the
// same allow-list (`-format_whitelist`) and the file protocol only (`-protocol_whitelist file`).
import { resolve } from 'node:path';
import { PackagingError } from '../../core/errors.ts';
import { lastReason } from './run-ffprobe.ts';
import type { FfmpegPaths } from './paths.ts';
import { spawnTool } from './spawn-ffmpeg.ts';

/** Container demuxers that read only the bytes of the file they are given (mov's external references are off by default). */
export const ALLOWED_DEMUXERS = ['mov', 'matroska', 'mpegts', 'flv', 'avi', 'mpeg', 'ogg', 'wav', 'mp3', 'flac', 'aac'] as const;
/** For messages: what users call them. */
const ALLOWED_TEXT = 'mov/mp4, matroska/webm, mpegts, flv, avi, mpeg (PS), ogg, wav, mp3, flac, aac';

/** Bytes and microseconds ffmpeg may read to find the streams: bounded, so a crafted file cannot make probing endless. */
export const PROBE_SIZE_BYTES = 50_000_000;
export const ANALYZE_DURATION_US = 30_000_000;
export const IDENTIFY_TIME_LIMIT_MS = 30_000;
/** A demuxer name that matches none: avformat stops right after probing, before any demuxer reads its header. */
const MATCHES_NOTHING = 'edgeline-identify-only';

/** `file:/abs/path`: never read as another protocol, whatever the name holds. */
export function fileUrl(path: string): string {
  return `file:${resolve(path)}`;
}

/** The demuxer (its first name: "mov" for "mov,mp4,m4a,…") that an allowed ffmpeg format_name stands for, if any. */
export function allowedDemuxerOf(formatName: string): string | undefined {
  const names = formatName.split(',').map((n) => n.trim());
  return ALLOWED_DEMUXERS.find((d) => names.includes(d)) ? names[0] : undefined;
}

/** Input options for every run on an identified file: this demuxer, this file, nothing else. */
export function pinnedInputOptions(demuxer: string): string[] {
  return [
    '-protocol_whitelist', 'file',
    '-format_whitelist', ALLOWED_DEMUXERS.join(','),
    '-probesize', String(PROBE_SIZE_BYTES),
    '-analyzeduration', String(ANALYZE_DURATION_US),
    '-f', demuxer,
  ];
}

function refused(path: string, rule: string, tail = ''): PackagingError {
  return new PackagingError(`cannot package "${path}": ${rule}`, tail, 'PACKAGING_FORMAT_NOT_ALLOWED');
}

/**
 * The format avformat picked: its debug line "Format X probed with size=…", or (when it went by the file name alone,
 * e.g. an empty file) the context of its "Format not on whitelist" refusal, "[X @ 0x…]".
 */
export function probedFormatOf(stderr: string): string | undefined {
  return /Format (\S+) probed with size=/.exec(stderr)?.[1] ?? /\[(\S+) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(stderr)?.[1];
}

/**
 * Which container `path` is, decided by content alone (no header read, no other file or URL opened), and the demuxer
 * to pin. Throws PackagingError PACKAGING_FORMAT_NOT_ALLOWED naming the rule when it is not on the allow-list.
 */
export async function identifyContainer(paths: FfmpegPaths, path: string, signal?: AbortSignal): Promise<string> {
  const input = fileUrl(path);
  const run = spawnTool(paths, paths.ffprobe, [
    '-v', 'debug', '-hide_banner',
    '-protocol_whitelist', 'file', '-probesize', String(PROBE_SIZE_BYTES), '-format_whitelist', MATCHES_NOTHING,
    '-i', input,
  ], { timeLimitMs: IDENTIFY_TIME_LIMIT_MS, maxStdoutBytes: 1024 * 1024, ...(signal ? { signal } : {}) });
  const exit = await run.exited;
  if (exit.isAborted) throw new PackagingError(`packaging "${path}" was aborted`, '', 'PACKAGING_ABORTED', signal?.reason);
  if (exit.error) throw new PackagingError(`cannot package "${path}": could not run ${paths.ffprobe}: ${exit.error.message}`, '', 'PACKAGING_FAILED', exit.error);
  if (exit.isTimedOut) throw refused(path, `ffprobe could not identify its container within ${IDENTIFY_TIME_LIMIT_MS / 1000} s`);
  const format = probedFormatOf(exit.stderr);
  if (!format) {
    const why = lastReason(exit.stderr, input);
    throw new PackagingError(`cannot package "${path}": ffprobe cannot tell its container format (${why})`, '', 'PACKAGING_NOT_MEDIA');
  }
  const demuxer = allowedDemuxerOf(format);
  if (!demuxer) throw refused(path, `container format "${format}" is not allowed; allowed: ${ALLOWED_TEXT}`);
  return demuxer;
}
