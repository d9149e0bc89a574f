// The Age response field (RFC 9111 §5.1): absent, one valid delta-seconds, or invalid.
import { singleValue, type FieldValue } from './field.ts';

export type AgeField = { readonly kind: 'absent' } | { readonly kind: 'valid'; readonly seconds: number } | { readonly kind: 'invalid' };

const ABSENT: AgeField = Object.freeze({ kind: 'absent' });
const INVALID: AgeField = Object.freeze({ kind: 'invalid' });
/** RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31. */
const CAP = 2 ** 31;

/**
 * Age = delta-seconds: digits only, one value. Several field lines, a list ("7200, 0"), a sign, a fraction, a suffix
 * or a parameter ("7200;foo=bar") make it invalid. What invalid means is the caller's rule: a cache should then take
 * the response as stale (what the public HTTP cache test suite expects, age-parse-*), never as age 0.
 */
export function parseAge(field: FieldValue): AgeField {
  const v = singleValue(field);
  if (v === 'absent') return ABSENT;
  if (v === 'several' || !/^\d{1,64}$/.test(v)) return INVALID;
  return { kind: 'valid', seconds: Math.min(Number(v), CAP) };
}
