// Entity tags (RFC 9110 §8.8.3): one tag, a bounded If-Match / If-None-Match list, strong and weak comparison.
import { joinedValue, listElements, type FieldValue } from './field.ts';

export interface EntityTag {
  readonly weak: boolean;
  /** Between the quotes. */
  readonly opaque: string;
}

/** More tags than this in one list are not read (a list is a client's cache of a few variants, not thousands). */
export const MAX_ENTITY_TAGS = 32;
const MAX_LIST_LENGTH = 8192;

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text (a comma is allowed inside).
const TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;
const LIST_ITEM = /[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)/y;

/** One entity tag, the whole value; undefined when it is not one (unquoted, a stray character). */
export function parseEntityTag(value: string | undefined): EntityTag | undefined {
  if (value === undefined) return undefined;
  const m = TAG.exec(value.trim());
  return m ? { weak: m[1] !== undefined, opaque: m[2] ?? '' } : undefined;
}

/**
 * `*`, or the entity tags of an If-Match / If-None-Match value (all field lines). Reading stops at the first
 * element that is not an entity tag, and after MAX_ENTITY_TAGS: what was read so far is the list. Undefined when
 * the field is absent.
 */
export function parseEntityTagList(field: FieldValue): '*' | EntityTag[] | undefined {
  const s = joinedValue(field)?.slice(0, MAX_LIST_LENGTH);
  if (s === undefined) return undefined;
  if (s.trim() === '*') return '*';
  const out: EntityTag[] = [];
  for (const m of listElements(s, LIST_ITEM, 'stop')) {
    out.push({ weak: m[1] !== undefined, opaque: m[2] ?? '' });
    if (out.length === MAX_ENTITY_TAGS) break;
  }
  return out;
}

/** RFC 9110 §8.8.3.2: both strong and the same opaque tag. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2: the same opaque tag, W/ or not. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
