// The Expires response field (RFC 9111 §5.3): absent, one valid HTTP-date, or invalid (which means already expired).
import { singleValue, type FieldValue } from './field.ts';
import { parseHttpDate } from './http-date.ts';

export type ExpiresField = { readonly kind: 'absent' } | { readonly kind: 'valid'; readonly ms: number } | { readonly kind: 'invalid' };

const ABSENT: ExpiresField = Object.freeze({ kind: 'absent' });
const INVALID: ExpiresField = Object.freeze({ kind: 'invalid' });

/**
 * RFC 9111 §5.3: "A cache recipient MUST interpret invalid date formats, especially the value "0", as representing a
 * time in the past (i.e., already expired)". Several Expires lines are invalid too (RFC 9111 §4.2.1 lets a cache
 * take such a response as stale). The caller applies the rule: invalid → freshness lifetime 0. Cache-Control
 * max-age / s-maxage, when present, win over Expires whatever it says (RFC 9111 §5.3).
 */
export function parseExpires(field: FieldValue, nowMs: number = Date.now()): ExpiresField {
  const v = singleValue(field);
  if (v === 'absent') return ABSENT;
  const ms = v === 'several' ? undefined : parseHttpDate(v, nowMs);
  return ms === undefined ? INVALID : { kind: 'valid', ms };
}
