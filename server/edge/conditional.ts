// Pure evaluation of conditional requests against a stored object (RFC 9110 §13.2.2 order of preconditions).

export interface Validators {
  /** The strong ETag the edge serves, quoted: "abc". */
  readonly etag: string;
  /** Other tags that identify the same bytes, e.g. the origin's weak ETag a client saw on a miss. */
  readonly altEtags?: readonly string[];
  readonly lastModifiedMs: number | undefined;
}

export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

export type ConditionalResult = 'proceed' | 'not-modified' | 'precondition-failed';

const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g;

interface Tag {
  readonly weak: boolean;
  readonly opaque: string;
}

function parseTag(t: string): Tag | undefined {
  const m = /^(W\/)?"(.*)"$/s.exec(t);
  return m ? { weak: m[1] !== undefined, opaque: m[2] ?? '' } : undefined;
}

/** `*`, or the list of entity tags in an If-Match / If-None-Match value. At most 32 tags are read. */
export function parseEntityTagList(v: string): '*' | Tag[] {
  if (v.trim() === '*') return '*';
  const out: Tag[] = [];
  for (const m of v.matchAll(ENTITY_TAG)) {
    out.push({ weak: m[1] !== undefined, opaque: m[2] ?? '' });
    if (out.length >= 32) break;
  }
  return out;
}

function ourTags(v: Validators): Tag[] {
  const tags: Tag[] = [];
  for (const t of [v.etag, ...(v.altEtags ?? [])]) {
    const p = parseTag(t);
    if (p) tags.push(p);
  }
  return tags;
}

function matches(list: '*' | Tag[], v: Validators, strong: boolean): boolean {
  if (list === '*') return true;
  const ours = ourTags(v);
  return list.some((t) => ours.some((o) => o.opaque === t.opaque && (!strong || (!o.weak && !t.weak))));
}

function httpDate(v: string | undefined): number | undefined {
  if (!v || v.length > 64) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** For GET and HEAD from the cache. */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): ConditionalResult {
  // 1. If-Match: strong comparison (RFC 9110 §13.1.1).
  if (h.ifMatch !== undefined) {
    if (!matches(parseEntityTagList(h.ifMatch), v, true)) return 'precondition-failed';
  } else if (h.ifUnmodifiedSince !== undefined) {
    // 2. If-Unmodified-Since, only without If-Match; an invalid date is ignored.
    const t = httpDate(h.ifUnmodifiedSince);
    if (t !== undefined && v.lastModifiedMs !== undefined && v.lastModifiedMs > t) return 'precondition-failed';
  }
  // 3. If-None-Match: weak comparison (RFC 9110 §13.1.2); a match means 304 for GET/HEAD.
  if (h.ifNoneMatch !== undefined) {
    return matches(parseEntityTagList(h.ifNoneMatch), v, false) ? 'not-modified' : 'proceed';
  }
  // 4. If-Modified-Since, only without If-None-Match.
  if (h.ifModifiedSince !== undefined) {
    const t = httpDate(h.ifModifiedSince);
    if (t !== undefined && v.lastModifiedMs !== undefined && v.lastModifiedMs <= t) return 'not-modified';
  }
  return 'proceed';
}
