// Answers GET/HEAD for one media file on disk: validators, 304/412, byte ranges, playlist compression, streaming.
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Request, Response } from 'express';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../core/errors.ts';
import { chooseEncoding, type ContentCoding } from '../../core/http/content-coding.ts';
import { formatHttpDate } from '../../core/http/http-date.ts';
import { planByteranges } from '../../core/http/multipart-byteranges.ts';
import { conditionalHeadersOf, evaluatePreconditions, ifRangeAllows, type Validators } from '../../core/http/preconditions.ts';
import { contentRangeOf, parseRange, resolveRange, unsatisfiedContentRange, type ByteRange } from '../../core/http/range.ts';

export interface MediaFile {
  /** Absolute path, already checked to be inside the media root. */
  readonly absPath: string;
  readonly contentType: string;
  readonly cacheControl: string;
  /** Playlists may be compressed; segments never are (already compressed, and ranges must address stored bytes). */
  readonly compressible: boolean;
  /** Called with body bytes as they are read for the client. */
  readonly onBytes?: (bytes: number) => void;
}

export interface FileResponderOptions {
  /** Compress playlists for clients that accept gzip or br. */
  readonly compress: boolean;
}

// zlib rather than the `compression` middleware: that one works after headers are set, drops Content-Length, keeps
// the identity ETag on a gzip body (two representations, one strong tag) and cannot tell playlists from segments.
// Here only playlists are compressed, each coding gets its own ETag, and the result is cached.
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
// Playlists are text of a few KB; anything larger is not compressed so a huge file is never buffered.
const MAX_COMPRESS_BYTES = 4 * 1024 * 1024;
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EISDIR']);

/** Strong validator: a file's bytes never change without its size, mtime or inode changing (files are replaced by rename). */
export function entityTagOf(st: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>, coding?: ContentCoding): string {
  const base = `${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}`;
  // A different content coding is a different representation and needs its own strong tag (RFC 9110 §8.8.3).
  return coding ? `"${base}-${coding}"` : `"${base}"`;
}

export class FileResponder {
  private readonly compress: boolean;
  /** Compressed playlists by path, validator and coding: many viewers ask for the same playlist. */
  private readonly compressed = new LRUCache<string, Buffer>({ maxSize: 16 * 1024 * 1024, sizeCalculation: (b) => b.length || 1 });

  constructor(opts: FileResponderOptions) {
    this.compress = opts.compress;
  }

  /** Resolves false, having sent nothing, when there is no regular file at the path (the caller answers 404). */
  async send(req: Request, res: Response, file: MediaFile): Promise<boolean> {
    let fh: FileHandle;
    try {
      // O_NOFOLLOW: a symlink planted in the media folder cannot point the origin at files outside it.
      fh = await open(file.absPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (NOT_FOUND_CODES.has((err as NodeJS.ErrnoException).code ?? '')) return false;
      throw err;
    }
    let handedOff = false;
    try {
      // Stat the open handle, not the path, so validators and bytes come from the same file even if it is replaced.
      const st = await fh.stat();
      if (!st.isFile()) return false;
      handedOff = await this.answer(req, res, file, fh, st);
      return true;
    } finally {
      if (!handedOff) await fh.close().catch(() => undefined);
    }
  }

  /** Resolves true when a body stream took ownership of the handle. */
  private async answer(req: Request, res: Response, file: MediaFile, fh: FileHandle, st: Stats): Promise<boolean> {
    // One rule for every role (core/http/range.ts): an invalid Range, or one on HEAD, is ignored.
    const range = parseRange(req.method, req.headers.range);
    // A Range applies to the stored bytes, so ranged requests get identity; the full playlist is what players fetch.
    const coding =
      this.compress && file.compressible && range.kind === 'none' && st.size <= MAX_COMPRESS_BYTES
        ? chooseEncoding(req.headers['accept-encoding'])
        : undefined;
    const etag = entityTagOf(st, coding);
    const validators: Validators = { etag, lastModifiedMs: st.mtimeMs };

    res.setHeader('Cache-Control', file.cacheControl);
    res.setHeader('ETag', etag);
    if (file.compressible && this.compress) res.setHeader('Vary', 'Accept-Encoding');

    const outcome = evaluatePreconditions(req.method, conditionalHeadersOf(req.headers), validators);
    if (outcome === 'not-modified') {
      // RFC 9110 §15.4.5: a 304 carries the validators and caching headers, no body and no representation metadata.
      res.status(304).end();
      return false;
    }
    if (outcome === 'precondition-failed') {
      const err = new AppError('PRECONDITION_FAILED', 412, `${req.method} ${req.path}: If-Match / If-Unmodified-Since did not match the current file`);
      res.status(412).set('Cache-Control', 'no-store').json(err.toJSON());
      return false;
    }

    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Last-Modified', formatHttpDate(st.mtimeMs));
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('X-Content-Type-Options', 'nosniff');

    if (coding) {
      const body = await this.compressedBody(file.absPath, fh, st, coding, etag);
      res.setHeader('Content-Encoding', coding);
      res.setHeader('Content-Length', body.length);
      if (req.method === 'HEAD') {
        res.status(200).end();
      } else {
        file.onBytes?.(body.length);
        res.status(200).end(body);
      }
      return false;
    }

    // If-Range that no longer matches: the whole file (RFC 9110 §13.1.5).
    const resolved = range.kind === 'bytes' && ifRangeAllows(req.headers['if-range'], validators) ? resolveRange(range, st.size) : undefined;
    if (resolved?.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', unsatisfiedContentRange(st.size));
      const err = new AppError('RANGE_NOT_SATISFIABLE', 416, `range "${String(req.headers.range)}" does not overlap the ${st.size} bytes of ${req.path}`);
      res.removeHeader('Content-Type');
      res.removeHeader('Last-Modified');
      res.status(416).set('Cache-Control', 'no-store').json(err.toJSON());
      return false;
    }
    if (resolved?.kind === 'partial') {
      const [only, ...more] = resolved.ranges;
      if (only && more.length === 0) {
        res.status(206);
        res.setHeader('Content-Range', contentRangeOf(only, st.size));
        res.setHeader('Content-Length', only.end - only.start + 1);
        this.stream(res, fh.createReadStream({ start: only.start, end: only.end }), file.onBytes);
        return true;
      }
      this.multipart(res, fh, st.size, resolved.ranges, file);
      return true;
    }

    res.status(200);
    res.setHeader('Content-Length', st.size);
    if (req.method === 'HEAD') {
      res.end();
      return false;
    }
    this.stream(res, fh.createReadStream(), file.onBytes);
    return true;
  }

  private async compressedBody(path: string, fh: FileHandle, st: Stats, coding: ContentCoding, etag: string): Promise<Buffer> {
    const key = `${path}\0${etag}`;
    const cached = this.compressed.get(key);
    if (cached) return cached;
    const raw = await fh.readFile();
    const body =
      coding === 'br'
        ? await brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: st.size } })
        : await gzip(raw, { level: 6 });
    this.compressed.set(key, body);
    return body;
  }

  /** RFC 9110 §14.6: one part per (combined) range, streamed from the file in order; the plan gives the length. */
  private multipart(res: Response, fh: FileHandle, size: number, ranges: readonly ByteRange[], file: MediaFile): void {
    const plan = planByteranges(ranges, size, file.contentType);
    res.status(206);
    res.setHeader('Content-Type', plan.contentType);
    res.setHeader('Content-Length', plan.length);
    async function* parts(): AsyncGenerator<Buffer> {
      try {
        for (const p of plan.parts) {
          yield p.head;
          for await (const chunk of fh.createReadStream({ start: p.range.start, end: p.range.end, autoClose: false })) yield chunk as Buffer;
        }
        yield plan.tail;
      } finally {
        await fh.close().catch(() => undefined);
      }
    }
    this.stream(res, Readable.from(parts(), { objectMode: false }), file.onBytes);
  }

  /** Streams a body; a client that goes away or a read error destroys both ends and releases the file. */
  private stream(res: Response, body: Readable, onBytes: ((n: number) => void) | undefined): void {
    if (onBytes) body.on('data', (chunk: Buffer) => onBytes(chunk.length));
    pipeline(body, res, () => {
      // Errors here are client disconnects or a file vanishing mid-read; the response is already under way,
      // so pipeline has destroyed the socket and there is nothing left to answer.
    });
  }
}
