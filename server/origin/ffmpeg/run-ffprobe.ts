// The one ffprobe runner (VOD packaging and live channels): JSON out, bounded in time and output, its reason kept.
import type { FfmpegPaths } from './paths.ts';
import { spawnTool } from './spawn-ffmpeg.ts';

export const FFPROBE_TIME_LIMIT_MS = 60_000;
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** ffprobe did not produce JSON: `reason` is a one-line account (its last stderr line, a timeout, a signal). */
export class FfprobeError extends Error {
  readonly reason: string;
  readonly stderrTail: string;
  readonly isAborted: boolean;
  constructor(reason: string, stderrTail: string, isAborted: boolean, cause?: unknown) {
    super(`ffprobe: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'FfprobeError';
    this.reason = reason;
    this.stderrTail = stderrTail;
    this.isAborted = isAborted;
  }
}

export interface RunFfprobeOptions {
  /** Before `-i`: input options such as the protocol and format whitelists (see untrusted-input.ts). */
  readonly inputOptions?: readonly string[];
  readonly signal?: AbortSignal;
  readonly timeLimitMs?: number;
}

/** Last line of stderr that says something, without ffprobe's "input: " prefix. */
export function lastReason(stderr: string, input: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = lines[lines.length - 1] ?? 'no output';
  return line.startsWith(`${input}: `) ? line.slice(input.length + 2) : line;
}

/** `ffprobe -v error -print_format json {args} {inputOptions} -i {input}`, parsed. */
export async function runFfprobe(paths: FfmpegPaths, input: string, args: readonly string[], opts: RunFfprobeOptions = {}): Promise<unknown> {
  const timeLimitMs = opts.timeLimitMs ?? FFPROBE_TIME_LIMIT_MS;
  const run = spawnTool(paths, paths.ffprobe, ['-v', 'error', '-print_format', 'json', ...args, ...(opts.inputOptions ?? []), '-i', input], {
    maxStdoutBytes: MAX_JSON_BYTES,
    timeLimitMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const exit = await run.exited;
  const tail = exit.stderr.slice(-2000);
  if (exit.isAborted) throw new FfprobeError('aborted', tail, true);
  if (exit.isTimedOut) throw new FfprobeError(`gave no answer within ${Math.round(timeLimitMs / 1000)} s and was killed`, tail, false);
  if (exit.isStdoutTooLarge) throw new FfprobeError(`printed more than ${MAX_JSON_BYTES} bytes`, tail, false);
  if (exit.error) throw new FfprobeError(`could not run ${paths.ffprobe}: ${exit.error.message}`, tail, false, exit.error);
  if (exit.signal) throw new FfprobeError(`was killed by ${exit.signal}`, tail, false);
  if (exit.code !== 0) throw new FfprobeError(lastReason(exit.stderr, input), tail, false);
  try {
    return JSON.parse(exit.stdout) as unknown;
  } catch (err) {
    throw new FfprobeError('printed invalid JSON', tail, false, err);
  }
}
