// Vary (RFC 9111 §4.1): which request fields select a stored response, normalised so equal requests share a variant.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { joinedValue, type FieldValue } from '../core/http/field.ts';

const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/;
const MAX_NAMES = 16;

/**
 * The field names a response's Vary lists: lower-cased, trimmed, deduplicated and sorted (so `Foo, bar` and
 * `Bar,foo` are one spec); undefined when there are none. `*` is not a name here (see isVaryStar in behaviors.ts).
 */
export function varyNamesOf(field: FieldValue): readonly string[] | undefined {
  const v = joinedValue(field);
  if (v === undefined) return undefined;
  const names = new Set<string>();
  for (const raw of v.split(',')) {
    const n = raw.trim().toLowerCase();
    if (FIELD_NAME.test(n) && names.size < MAX_NAMES) names.add(n);
  }
  return names.size > 0 ? [...names].sort() : undefined;
}

/**
 * A request field's value as a cache compares it: every line combined, whitespace around commas and runs of spaces
 * collapsed (RFC 9111 §4.1 allows normalising by the field's syntax; this much holds for every list field).
 */
export function normalisedField(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const joined = Array.isArray(v) ? v.join(',') : v;
  return joined
    .split(',')
    .map((p) => p.trim().replace(/[ \t]+/g, ' '))
    .join(',');
}

/** The request's values for the Vary names: an absent field differs from an empty one. */
export function variantOf(names: readonly string[], h: IncomingHttpHeaders): string {
  let out = '';
  for (const n of names) {
    const v = normalisedField(h[n]);
    out += v === undefined ? `${n}!\n` : `${n}=${v}\n`;
  }
  return out;
}

/** A short, fixed-length tag for a variant (or key-header) string, so keys stay bounded whatever the headers. */
export function digestOf(s: string): string {
  return createHash('sha1').update(s).digest('base64url');
}
