// Pure Range handling (RFC 9110 §14): one byte range is served; several are refused clearly rather than half-served.

export type RangeRequest =
  | { readonly kind: 'none' }
  /** `first` set: bytes first..last (last open); `first` unset: the last `suffix` bytes. */
  | { readonly kind: 'single'; readonly first: number | undefined; readonly last: number | undefined; readonly suffix: number | undefined }
  | { readonly kind: 'multi' }
  | { readonly kind: 'malformed' };

export type RangeResolution =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const NONE: RangeRequest = Object.freeze({ kind: 'none' });
const MALFORMED: RangeRequest = Object.freeze({ kind: 'malformed' });
const MULTI: RangeRequest = Object.freeze({ kind: 'multi' });

const UNIT = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*=(.*)$/s;
const INT_RANGE = /^(\d{1,15})-(\d{0,15})$/;
const SUFFIX_RANGE = /^-(\d{1,15})$/;

/**
 * Syntax only, before any lookup. A unit other than bytes is ignored (RFC 9110 §14.2: a server MUST ignore a range
 * unit it does not understand). Several ranges are "multi": the edge answers 416 saying one range is served,
 * which RFC 9110 §14.2 allows ("MAY ignore or reject"); players ask for one range at a time.
 */
export function parseRangeHeader(header: string | undefined): RangeRequest {
  if (header === undefined) return NONE;
  if (header.length > 256) return MALFORMED;
  const m = UNIT.exec(header);
  if (!m) return MALFORMED;
  if ((m[1] ?? '').toLowerCase() !== 'bytes') return NONE;
  const specs = (m[2] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length === 0) return MALFORMED;
  for (const s of specs) if (!INT_RANGE.test(s) && !SUFFIX_RANGE.test(s)) return MALFORMED;
  if (specs.length > 1) return MULTI;
  const spec = specs[0] ?? '';
  const suffix = SUFFIX_RANGE.exec(spec);
  if (suffix) return { kind: 'single', first: undefined, last: undefined, suffix: Number(suffix[1]) };
  const int = INT_RANGE.exec(spec);
  const first = Number(int?.[1]);
  const last = int?.[2] ? Number(int[2]) : undefined;
  // "An int-range is invalid if the last-pos value is present and less than the first-pos" (RFC 9110 §14.1.1).
  if (last !== undefined && last < first) return MALFORMED;
  return { kind: 'single', first, last, suffix: undefined };
}

/** Against a representation of `size` bytes (RFC 9110 §14.1.2). */
export function resolveRange(r: RangeRequest, size: number): RangeResolution {
  if (r.kind !== 'single') return { kind: 'full' };
  if (r.first === undefined) {
    if (!r.suffix || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - r.suffix), end: size - 1 };
  }
  if (r.first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: r.first, end: Math.min(r.last ?? size - 1, size - 1) };
}

/**
 * If-Range (RFC 9110 §13.1.5): the range applies only when the validator still matches. An entity tag needs a
 * strong match; a date must equal Last-Modified exactly.
 */
export function ifRangeAllows(ifRange: string | undefined, etag: string, lastModifiedMs: number | undefined): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return !v.startsWith('W/') && !etag.startsWith('W/') && v === etag;
  const t = Date.parse(v);
  return Number.isFinite(t) && lastModifiedMs !== undefined && t === lastModifiedMs;
}
