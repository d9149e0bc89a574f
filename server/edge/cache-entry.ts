// A stored response: body, the upstream headers worth keeping, validators and lifetimes; and its Redis encoding.
import { createHash } from 'node:crypto';
import type { CacheKey } from './cache-key.ts';
import type { Lifetime } from './freshness.ts';
import { storableHeaders, type HeaderList, type RawHeaders } from './response-headers.ts';

export type Upstream = 'origin' | 'shield';

export type { HeaderList, RawHeaders } from './response-headers.ts';

/** The stored subset of upstream headers with the default strip list (Set-Cookie); see response-headers.ts. */
export function keptHeaders(h: RawHeaders, strip: readonly string[] = ['set-cookie']): HeaderList {
  return storableHeaders(h, strip);
}

export function headerValue(list: HeaderList, canonical: string): string | undefined {
  for (const [k, v] of list) if (k === canonical) return v;
  return undefined;
}

/** A strong ETag the edge can promise: the origin's when it is strong, else a digest of the bytes. */
export function strongEtagFor(body: Buffer, originEtag: string | undefined): string {
  if (originEtag && /^"[\x21\x23-\x7e]{1,200}"$/.test(originEtag)) return originEtag;
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

export interface CacheEntryInit extends Lifetime {
  readonly key: CacheKey;
  readonly status: number;
  readonly body: Buffer;
  readonly headers: HeaderList;
  readonly etag: string;
  /** The upstream's own ETag (may be weak), sent back on revalidation. */
  readonly upstreamEtag: string | undefined;
  readonly lastModifiedMs: number | undefined;
  /** Purge sequence the fill started under: any later purge that matches the key invalidates this copy. */
  readonly fillSeq: number;
  readonly upstream: Upstream;
  readonly targetDurationS: number | undefined;
  /**
   * The response's Vary names (vary.ts). On a variant: what selected it. On a Vary spec (status 0, no body, stored under
   * the primary key): where to look for the variants.
   */
  readonly varyNames?: readonly string[] | undefined;
}

export class CacheEntry implements CacheEntryInit {
  readonly key: CacheKey;
  readonly status: number;
  readonly body: Buffer;
  readonly headers: HeaderList;
  readonly etag: string;
  readonly upstreamEtag: string | undefined;
  readonly lastModifiedMs: number | undefined;
  readonly storedAt: number;
  readonly ttlMs: number;
  readonly staleWhileRevalidateMs: number;
  readonly staleIfErrorMs: number;
  readonly fillSeq: number;
  readonly upstream: Upstream;
  readonly targetDurationS: number | undefined;
  readonly varyNames: readonly string[] | undefined;
  readonly revalidateKeepMs: number;
  /** Response head built once by the delivery code (see deliver.ts); never serialized. */
  head: string[] | undefined;

  constructor(init: CacheEntryInit) {
    this.key = init.key;
    this.status = init.status;
    this.body = init.body;
    this.headers = init.headers;
    this.etag = init.etag;
    this.upstreamEtag = init.upstreamEtag;
    this.lastModifiedMs = init.lastModifiedMs;
    this.storedAt = init.storedAt;
    this.ttlMs = init.ttlMs;
    this.staleWhileRevalidateMs = init.staleWhileRevalidateMs;
    this.staleIfErrorMs = init.staleIfErrorMs;
    this.fillSeq = init.fillSeq;
    this.upstream = init.upstream;
    this.targetDurationS = init.targetDurationS;
    this.varyNames = init.varyNames;
    this.revalidateKeepMs = init.revalidateKeepMs ?? 0;
    this.head = undefined;
  }

  /** A Vary spec under a primary key, not a response (status 0). */
  get isVarySpec(): boolean {
    return this.status === 0;
  }

  get isNegative(): boolean {
    return this.status !== 200;
  }

  /** Validators for a conditional request upstream (RFC 9111 §4.3.1). */
  get hasValidators(): boolean {
    return this.upstreamEtag !== undefined || this.lastModifiedMs !== undefined;
  }

  with(changes: Partial<CacheEntryInit>): CacheEntry {
    return new CacheEntry({ ...this, ...changes });
  }

  /** `[u32 meta length][meta JSON][body]`: one binary value, read back with GET as a Buffer, body not copied. */
  encode(): Buffer {
    const meta = Buffer.from(
      JSON.stringify({
        v: 1,
        key: this.key,
        status: this.status,
        headers: this.headers,
        etag: this.etag,
        uetag: this.upstreamEtag,
        lm: this.lastModifiedMs,
        at: this.storedAt,
        ttl: this.ttlMs,
        swr: this.staleWhileRevalidateMs,
        sie: this.staleIfErrorMs,
        seq: this.fillSeq,
        up: this.upstream,
        td: this.targetDurationS,
        vary: this.varyNames,
        keep: this.revalidateKeepMs || undefined,
      }),
    );
    const out = Buffer.allocUnsafe(4 + meta.length + this.body.length);
    out.writeUInt32BE(meta.length, 0);
    meta.copy(out, 4);
    this.body.copy(out, 4 + meta.length);
    return out;
  }

  /** Undefined for anything that is not a value this code wrote (another version, a foreign key, damage). */
  static decode(buf: Buffer, expectedKey: CacheKey): CacheEntry | undefined {
    if (buf.length < 4) return undefined;
    const metaLen = buf.readUInt32BE(0);
    if (metaLen > 64 * 1024 || 4 + metaLen > buf.length) return undefined;
    let m: unknown;
    try {
      m = JSON.parse(buf.toString('utf8', 4, 4 + metaLen));
    } catch {
      return undefined;
    }
    if (typeof m !== 'object' || m === null) return undefined;
    const r = m as Record<string, unknown>;
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    const optNum = (v: unknown): v is number | undefined => v === undefined || num(v);
    const optStr = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
    if (r['v'] !== 1 || r['key'] !== expectedKey || !num(r['status']) || typeof r['etag'] !== 'string') return undefined;
    if (!num(r['at']) || !num(r['ttl']) || !num(r['swr']) || !num(r['sie']) || !num(r['seq'])) return undefined;
    if (!optStr(r['uetag']) || !optNum(r['lm']) || !optNum(r['td'])) return undefined;
    if (r['up'] !== 'origin' && r['up'] !== 'shield') return undefined;
    const vary = r['vary'];
    if (vary !== undefined && !(Array.isArray(vary) && vary.every((n) => typeof n === 'string'))) return undefined;
    if (!optNum(r['keep'])) return undefined;
    const headers = r['headers'];
    if (!Array.isArray(headers) || !headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')) {
      return undefined;
    }
    return new CacheEntry({
      key: expectedKey,
      status: r['status'],
      body: buf.subarray(4 + metaLen),
      headers: headers as Array<[string, string]>,
      etag: r['etag'],
      upstreamEtag: r['uetag'],
      lastModifiedMs: r['lm'],
      storedAt: r['at'],
      ttlMs: r['ttl'],
      staleWhileRevalidateMs: r['swr'],
      staleIfErrorMs: r['sie'],
      fillSeq: r['seq'],
      upstream: r['up'],
      targetDurationS: r['td'],
      varyNames: vary as string[] | undefined,
      revalidateKeepMs: r['keep'],
    });
  }
}
