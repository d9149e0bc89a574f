// Follows the CSV segment list ffmpeg's segment muxer appends to: each line is a segment ffmpeg has finished writing.
import { open } from 'node:fs/promises';

export interface SegmentListEntry {
  /** Base name of the segment file. */
  readonly filename: string;
  readonly startSeconds: number;
  readonly endSeconds: number;
}

/**
 * One line of `-segment_list_type csv`: `filename,start,end`. ffmpeg quotes the name only when it holds a comma or a
 * quote, which our names never do, so the two numbers are simply the last two fields.
 */
export function parseSegmentListLine(line: string): SegmentListEntry | undefined {
  const trimmed = line.trim();
  const second = trimmed.lastIndexOf(',');
  const first = second > 0 ? trimmed.lastIndexOf(',', second - 1) : -1;
  if (first <= 0) return undefined;
  const filename = trimmed.slice(0, first).replace(/^"(.*)"$/, '$1');
  const startSeconds = Number(trimmed.slice(first + 1, second));
  const endSeconds = Number(trimmed.slice(second + 1));
  if (!filename || !Number.isFinite(startSeconds) || !Number.isFinite(endSeconds) || endSeconds <= startSeconds) return undefined;
  return { filename, startSeconds, endSeconds };
}

/** Complete lines of `text`, and what follows the last newline (a line ffmpeg is still writing). */
export function splitCompleteLines(text: string): { lines: string[]; rest: string } {
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], rest: text };
  return { lines: text.slice(0, end).split('\n').filter((l) => l.trim() !== ''), rest: text.slice(end + 1) };
}

/** Reads what was appended to a segment list since the last call. */
export class SegmentListFollower {
  private offset = 0;
  private rest = '';

  constructor(readonly path: string) {}

  async readNew(): Promise<SegmentListEntry[]> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // ffmpeg has not finished a segment yet
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      const { lines, rest } = splitCompleteLines(this.rest + buf.subarray(0, bytesRead).toString('utf8'));
      this.rest = rest;
      return lines.map(parseSegmentListLine).filter((e): e is SegmentListEntry => e !== undefined);
    } finally {
      await handle.close();
    }
  }
}
