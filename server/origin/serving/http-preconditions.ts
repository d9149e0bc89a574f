// Pure HTTP decisions for file responses: conditional requests (RFC 9110 §13), If-Range, and content coding choice.

export interface Validators {
  /** Strong entity tag, quoted: "…". */
  readonly etag: string;
  readonly lastModifiedMs: number;
}

export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

export type PreconditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

const ENTITY_TAG = /(W\/)?"([^"]*)"/g;

/** `*` or a list of entity tags (RFC 9110 §8.8.3); anything unparsable is dropped. */
export function parseEntityTags(value: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  const out: EntityTag[] = [];
  for (const m of value.matchAll(ENTITY_TAG)) out.push({ weak: m[1] !== undefined, opaque: m[2] ?? '' });
  return out;
}

function parseTag(etag: string): EntityTag {
  const list = parseEntityTags(etag);
  return list === '*' || list[0] === undefined ? { weak: false, opaque: etag } : list[0];
}

/** RFC 9110 §8.8.3.2: strong comparison needs both tags strong; weak comparison ignores the W/ flag. */
function matches(header: string, current: EntityTag, strong: boolean): boolean {
  const tags = parseEntityTags(header);
  if (tags === '*') return true;
  return tags.some((t) => t.opaque === current.opaque && (!strong || (!t.weak && !current.weak)));
}

/** HTTP dates have one-second resolution, so compare whole seconds. Undefined for an invalid date (then ignored). */
function httpDateSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** RFC 9110 §13.2.2: the order in which preconditions are evaluated, for a resource that exists. */
export function evaluatePreconditions(method: string, h: ConditionalHeaders, v: Validators): PreconditionOutcome {
  const current = parseTag(v.etag);
  const modifiedSec = Math.floor(v.lastModifiedMs / 1000);
  const isRead = method === 'GET' || method === 'HEAD';
  // Step 1-2: If-Match (strong comparison), else If-Unmodified-Since.
  if (h.ifMatch !== undefined) {
    if (!matches(h.ifMatch, current, true)) return 'precondition-failed';
  } else {
    const ius = httpDateSeconds(h.ifUnmodifiedSince);
    if (ius !== undefined && modifiedSec > ius) return 'precondition-failed';
  }
  // Step 3: If-None-Match (weak comparison); when present, If-Modified-Since is ignored (§13.1.3).
  if (h.ifNoneMatch !== undefined) {
    if (matches(h.ifNoneMatch, current, false)) return isRead ? 'not-modified' : 'precondition-failed';
    return 'proceed';
  }
  // Step 4: If-Modified-Since, only for GET and HEAD.
  if (isRead) {
    const ims = httpDateSeconds(h.ifModifiedSince);
    if (ims !== undefined && modifiedSec <= ims) return 'not-modified';
  }
  return 'proceed';
}

/**
 * RFC 9110 §13.1.5: a Range applies only when If-Range is absent or still matches: an entity tag by strong
 * comparison, or a date equal to Last-Modified. Otherwise the whole representation is sent (200).
 */
export function ifRangeAllows(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const current = parseTag(v.etag);
    const tags = parseEntityTags(value);
    return tags !== '*' && tags.length === 1 && tags[0] !== undefined && !tags[0].weak && !current.weak && tags[0].opaque === current.opaque;
  }
  const date = httpDateSeconds(value);
  return date !== undefined && date === Math.floor(v.lastModifiedMs / 1000);
}

export type ContentCoding = 'br' | 'gzip';

/**
 * Pick a content coding from Accept-Encoding (RFC 9110 §12.5.3): the highest q-value among br and gzip, br on a
 * tie; `*` stands for codings not named; q=0 refuses. Undefined means identity.
 */
export function chooseEncoding(acceptEncoding: string | undefined): ContentCoding | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [token = '', ...params] = part.trim().split(';');
    const coding = token.trim().toLowerCase();
    if (!coding) continue;
    let weight = 1;
    for (const p of params) {
      const [k, val] = p.split('=').map((s) => s.trim());
      if (k?.toLowerCase() === 'q') {
        const n = Number(val);
        weight = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
      }
    }
    // x-gzip is gzip's old alias (RFC 9110 §8.4.1.3).
    q.set(coding === 'x-gzip' ? 'gzip' : coding, weight);
  }
  const star = q.get('*');
  let best: ContentCoding | undefined;
  let bestQ = 0;
  for (const coding of ['br', 'gzip'] as const) {
    const weight = q.get(coding) ?? star ?? 0;
    if (weight > bestQ) {
      best = coding;
      bestQ = weight;
    }
  }
  return best;
}
