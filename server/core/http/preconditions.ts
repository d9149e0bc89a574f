// Conditional requests (RFC 9110 §13): the §13.2.2 evaluation order and If-Range, one evaluator for every role.
//
// Hand-written: `fresh` (what Express uses) answers only "is a 304 due" for If-None-Match / If-Modified-Since; the
// edge and the origin need If-Match, If-Unmodified-Since, 412 and If-Range too, against several tags for one body.
import type { IncomingHttpHeaders } from 'node:http';
import { parseEntityTag, parseEntityTagList, strongMatch, weakMatch, type EntityTag } from './entity-tag.ts';
import { singleValue, type FieldValue } from './field.ts';
import { parseHttpDate } from './http-date.ts';

export interface Validators {
  /** The entity tag this response carries, quoted: "abc" or W/"abc". */
  readonly etag: string | undefined;
  /**
   * Other tags for the same bytes that a client may hold, e.g. the origin's weak tag that a client saw on an edge
   * miss while the edge's hits carry its own strong tag.
   */
  readonly altEtags?: readonly string[] | undefined;
  readonly lastModifiedMs: number | undefined;
}

export interface ConditionalHeaders {
  readonly ifMatch?: FieldValue;
  readonly ifNoneMatch?: FieldValue;
  readonly ifModifiedSince?: FieldValue;
  readonly ifUnmodifiedSince?: FieldValue;
}

export type PreconditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

/** The four precondition fields of a request, as node:http gives them. */
export function conditionalHeadersOf(h: IncomingHttpHeaders): ConditionalHeaders {
  return { ifMatch: h['if-match'], ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'], ifUnmodifiedSince: h['if-unmodified-since'] };
}

export function hasPreconditions(h: IncomingHttpHeaders): boolean {
  return h['if-match'] !== undefined || h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined || h['if-unmodified-since'] !== undefined;
}

function ourTags(v: Validators): EntityTag[] {
  const tags: EntityTag[] = [];
  for (const t of [v.etag, ...(v.altEtags ?? [])]) {
    const p = parseEntityTag(t);
    if (p) tags.push(p);
  }
  return tags;
}

function listMatches(field: FieldValue, ours: readonly EntityTag[], compare: (a: EntityTag, b: EntityTag) => boolean): boolean {
  const list = parseEntityTagList(field);
  // "*" matches any current representation (RFC 9110 §13.1.1, §13.1.2), and the caller has one.
  if (list === '*') return true;
  return (list ?? []).some((t) => ours.some((o) => compare(t, o)));
}

/**
 * An HTTP-date in whole seconds (dates have one-second resolution, RFC 9110 §5.6.7). Undefined for an invalid date
 * or several field lines: the precondition is then ignored (RFC 9110 §13.1.3, §13.1.4).
 */
function dateSeconds(field: FieldValue): number | undefined {
  const v = singleValue(field);
  if (v === 'absent' || v === 'several') return undefined;
  const ms = parseHttpDate(v);
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}

/**
 * RFC 9110 §13.2.2, for a representation that exists (the caller skips preconditions for 404s and the like,
 * §13.2.1):
 * 1. If-Match, strong comparison: no match → 412.
 * 2. Else If-Unmodified-Since: modified after the date → 412 (ignored without a Last-Modified).
 * 3. If-None-Match, weak comparison: a match → 304 for GET/HEAD, 412 for other methods.
 * 4. Else If-Modified-Since, GET/HEAD only: not modified since → 304.
 */
export function evaluatePreconditions(method: string, h: ConditionalHeaders, v: Validators): PreconditionOutcome {
  const isRead = method === 'GET' || method === 'HEAD';
  const modifiedS = v.lastModifiedMs === undefined ? undefined : Math.floor(v.lastModifiedMs / 1000);
  let ours: EntityTag[] | undefined;
  const tags = (): EntityTag[] => (ours ??= ourTags(v));
  if (h.ifMatch !== undefined) {
    if (!listMatches(h.ifMatch, tags(), strongMatch)) return 'precondition-failed';
  } else if (h.ifUnmodifiedSince !== undefined) {
    const t = dateSeconds(h.ifUnmodifiedSince);
    if (t !== undefined && modifiedS !== undefined && modifiedS > t) return 'precondition-failed';
  }
  if (h.ifNoneMatch !== undefined) {
    if (!listMatches(h.ifNoneMatch, tags(), weakMatch)) return 'proceed';
    return isRead ? 'not-modified' : 'precondition-failed';
  }
  if (isRead && h.ifModifiedSince !== undefined) {
    const t = dateSeconds(h.ifModifiedSince);
    if (t !== undefined && modifiedS !== undefined && modifiedS <= t) return 'not-modified';
  }
  return 'proceed';
}

/**
 * If-Range (RFC 9110 §13.1.5): the Range applies only while the validator still matches, i.e. an entity tag that
 * matches one of ours by strong comparison, or a date equal to Last-Modified (to the second). Anything else,
 * including a weak tag or an invalid value, means "send the whole representation". Absent: the Range applies.
 */
export function ifRangeAllows(field: FieldValue, v: Validators): boolean {
  const value = singleValue(field);
  if (value === 'absent') return true;
  if (value === 'several') return false;
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tag = parseEntityTag(value);
    return tag !== undefined && ourTags(v).some((o) => strongMatch(tag, o));
  }
  const t = dateSeconds(value);
  return t !== undefined && v.lastModifiedMs !== undefined && t === Math.floor(v.lastModifiedMs / 1000);
}
