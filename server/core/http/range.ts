// Range requests (RFC 9110 §14): one parser and one rule for every role, so origin and edge answer alike.
//
// The rule: a Range that is syntactically invalid, uses a unit other than bytes, comes on a method other than GET,
// is longer than MAX_RANGE_HEADER or asks for more than MAX_RANGES ranges is ignored: the whole representation,
// 200 (RFC 9110 §14.2 lets a server ignore or reject these; ignoring never breaks a client). A valid set none of
// whose ranges overlap the representation is 416 with `Content-Range: bytes */size` (§15.5.17). One satisfiable
// range is 206; several, after overlapping and adjacent ones are combined (§14.2), are multipart/byteranges (§14.6).
//
// Written here rather than with the `range-parser` package: range-parser 1.3 answers "unsatisfiable" to a suffix
// longer than the representation (`bytes=-2000` on 1000 bytes must be the whole body, §14.1.3), takes an invalid
// `bytes=5-1` (§14.1.1) for an unsatisfiable range, and refuses empty list elements (§5.6.1.2), so it would need the
// header validated and rewritten first; the remaining resolution and merging are a few lines.
import { singleValue, type FieldValue } from './field.ts';

/** Inclusive byte positions, as in Content-Range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** `first-last`, `first-` (last undefined) or `-suffix` (first undefined). */
export interface RangeSpec {
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly suffix: number | undefined;
}

export type RangeRequest = { readonly kind: 'none' } | { readonly kind: 'bytes'; readonly specs: readonly RangeSpec[] };

export type RangeResolution =
  | { readonly kind: 'full' }
  | { readonly kind: 'unsatisfiable' }
  /** One or more ranges, combined, in the order the client asked for them (§14.6). */
  | { readonly kind: 'partial'; readonly ranges: readonly ByteRange[] };

/** More ranges than this in one request are ignored (whole body): players ask for one at a time. */
export const MAX_RANGES = 16;
/** Longer Range values are ignored: 16 ranges of two 15-digit positions fit in well under this. */
export const MAX_RANGE_HEADER = 1024;

export const NO_RANGE: RangeRequest = Object.freeze({ kind: 'none' });
const FULL: RangeResolution = Object.freeze({ kind: 'full' });
const UNSATISFIABLE: RangeResolution = Object.freeze({ kind: 'unsatisfiable' });

// ranges-specifier = range-unit "=" range-set (RFC 9110 §14.1.1); range-unit is a token, case-insensitive.
const SPECIFIER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(.*)$/s;
const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

/** The Range of a request, or NO_RANGE when there is none or it is to be ignored (see the rule above). */
export function parseRange(method: string, field: FieldValue): RangeRequest {
  // GET is the only method for which range handling is defined (RFC 9110 §14.2).
  if (method !== 'GET') return NO_RANGE;
  const value = singleValue(field);
  if (value === 'absent' || value === 'several' || value.length > MAX_RANGE_HEADER) return NO_RANGE;
  const m = SPECIFIER.exec(value);
  if (!m || (m[1] ?? '').toLowerCase() !== 'bytes') return NO_RANGE;
  const specs: RangeSpec[] = [];
  for (const element of (m[2] ?? '').split(',')) {
    const s = element.trim();
    if (s === '') continue; // empty list elements are allowed (RFC 9110 §5.6.1.2)
    if (specs.length === MAX_RANGES) return NO_RANGE;
    const suffix = SUFFIX_RANGE.exec(s);
    if (suffix) {
      specs.push({ first: undefined, last: undefined, suffix: Number(suffix[1]) });
      continue;
    }
    const int = INT_RANGE.exec(s);
    if (!int) return NO_RANGE;
    const first = Number(int[1]);
    const last = int[2] ? Number(int[2]) : undefined;
    // "An int-range is invalid if the last-pos value is present and less than the first-pos" (§14.1.1).
    if (last !== undefined && last < first) return NO_RANGE;
    specs.push({ first, last, suffix: undefined });
  }
  return specs.length === 0 ? NO_RANGE : { kind: 'bytes', specs };
}

/** One spec against `size` bytes (RFC 9110 §14.1.2, §14.1.3); undefined when unsatisfiable. */
function satisfy(spec: RangeSpec, size: number): ByteRange | undefined {
  if (spec.first === undefined) {
    const suffix = spec.suffix ?? 0;
    if (suffix === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  if (spec.first >= size) return undefined;
  return { start: spec.first, end: Math.min(spec.last ?? size - 1, size - 1) };
}

/**
 * Against a representation of `size` bytes. Satisfiable ranges that overlap or touch are combined into one
 * (§14.2), each kept at the position of the first range it absorbed.
 */
export function resolveRange(r: RangeRequest, size: number): RangeResolution {
  if (r.kind === 'none') return FULL;
  const ranges: Array<{ start: number; end: number; order: number }> = [];
  for (const [order, spec] of r.specs.entries()) {
    const b = satisfy(spec, size);
    if (b) ranges.push({ ...b, order });
  }
  if (ranges.length === 0) return UNSATISFIABLE;
  ranges.sort((a, b) => a.start - b.start);
  const merged: Array<{ start: number; end: number; order: number }> = [];
  for (const b of ranges) {
    const last = merged[merged.length - 1];
    if (last && b.start <= last.end + 1) {
      last.end = Math.max(last.end, b.end);
      last.order = Math.min(last.order, b.order);
    } else {
      merged.push({ ...b });
    }
  }
  merged.sort((a, b) => a.order - b.order);
  return { kind: 'partial', ranges: merged.map(({ start, end }) => ({ start, end })) };
}

/** Content-Range of a 206 part (RFC 9110 §14.4). */
export function contentRangeOf(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end}/${size}`;
}

/** Content-Range of a 416 (RFC 9110 §14.4, §15.5.17): how big the representation is, so the client can ask again. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
