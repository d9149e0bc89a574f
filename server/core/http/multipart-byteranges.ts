// multipart/byteranges (RFC 9110 §14.6): the boundary, each part's head and the total length, computed up front so
// the response keeps a Content-Length; the origin streams the parts from a file, the edge slices a stored Buffer.
import { randomBytes } from 'node:crypto';
import { contentRangeOf, type ByteRange } from './range.ts';

export interface ByterangesPart {
  /** Delimiter and part header fields, up to and including the blank line. */
  readonly head: Buffer;
  readonly range: ByteRange;
}

export interface ByterangesPlan {
  /** The response's Content-Type: `multipart/byteranges; boundary=…`. */
  readonly contentType: string;
  readonly parts: readonly ByterangesPart[];
  /** The close delimiter. */
  readonly tail: Buffer;
  /** Content-Length of the whole body. */
  readonly length: number;
}

/** A boundary that cannot occur by chance in the bytes (RFC 2046 §5.1.1: up to 70 characters). */
function newBoundary(): string {
  return randomBytes(12).toString('hex');
}

/**
 * Each part carries the representation's Content-Type (when known) and its Content-Range (RFC 9110 §14.6).
 * `boundary` is for tests; responses use a random one.
 */
export function planByteranges(ranges: readonly ByteRange[], size: number, partContentType: string | undefined, boundary: string = newBoundary()): ByterangesPlan {
  const type = partContentType ? `Content-Type: ${partContentType}\r\n` : '';
  const parts = ranges.map((range, i) => ({
    // The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1); the first needs none.
    head: Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\n${type}Content-Range: ${contentRangeOf(range, size)}\r\n\r\n`, 'latin1'),
    range,
  }));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const length = parts.reduce((n, p) => n + p.head.length + (p.range.end - p.range.start + 1), tail.length);
  return { contentType: `multipart/byteranges; boundary=${boundary}`, parts, tail, length };
}

/** The body for bytes already in memory, as chunks to write in order (subarrays: nothing is copied). */
export function byterangesChunks(plan: ByterangesPlan, body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const p of plan.parts) out.push(p.head, body.subarray(p.range.start, p.range.end + 1));
  out.push(plan.tail);
  return out;
}
