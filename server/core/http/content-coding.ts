// Content coding negotiation (RFC 9110 §12.5.3): which of br and gzip a client's Accept-Encoding prefers.
import { joinedValue, type FieldValue } from './field.ts';

export type ContentCoding = 'br' | 'gzip';

/**
 * Pick a content coding from Accept-Encoding (RFC 9110 §12.5.3): the highest q-value among br and gzip, br on a
 * tie; `*` stands for codings not named; q=0 refuses. Undefined means identity.
 */
export function chooseEncoding(field: FieldValue): ContentCoding | undefined {
  const acceptEncoding = joinedValue(field);
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
