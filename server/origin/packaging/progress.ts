// Progress of one packaging job over all its renditions: ffmpeg's `time=` against the source duration, with an ETA.
import type { PackageProgress } from './types.ts';

// Shares of the whole job: probing is quick, measuring and renaming take a moment, encoding is the rest.
const PROBING_END = 2;
const ENCODING_END = 95;

const TIME = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;

/** Seconds of output written, from a line of ffmpeg's `-stats` output; undefined when the line has none. */
export function parseFfmpegTime(line: string): number | undefined {
  const m = TIME.exec(line);
  if (!m) return undefined;
  if (m[1] === '-') return 0;
  return Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

export function probingProgress(): PackageProgress {
  return { stage: 'probing', percent: 0, etaSeconds: undefined };
}

/**
 * Encoding progress: one ffmpeg writes every rendition, so its clock covers the whole job. The ETA extrapolates the
 * pace so far, once there is enough of it to mean something.
 */
export function encodingProgress(encodedSeconds: number, durationSeconds: number, elapsedMs: number): PackageProgress {
  const fraction = durationSeconds > 0 ? Math.min(1, Math.max(0, encodedSeconds / durationSeconds)) : 0;
  const percent = PROBING_END + fraction * (ENCODING_END - PROBING_END);
  const isMeaningful = fraction >= 0.02 && elapsedMs >= 500;
  const etaSeconds = isMeaningful ? Math.max(0, Math.round(((elapsedMs / fraction) * (1 - fraction)) / 1000)) : undefined;
  return { stage: 'encoding', percent: Math.round(percent * 10) / 10, etaSeconds };
}

export function finishingProgress(done: boolean): PackageProgress {
  return { stage: 'finishing', percent: done ? 100 : ENCODING_END, etaSeconds: done ? 0 : undefined };
}
