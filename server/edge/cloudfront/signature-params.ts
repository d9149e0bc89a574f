// CloudFront's signature query parameters: found, decoded and removed from a raw query string, the rest left byte for byte.

/** The query parameters CloudFront reserves for signed URLs; they never reach the cache key or the origin. */
export const SIGNATURE_PARAMS = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm'] as const;
export type SignatureParam = (typeof SIGNATURE_PARAMS)[number];

const RESERVED: ReadonlySet<string> = new Set(SIGNATURE_PARAMS);

export interface SplitQuery {
  /** Percent-decoded values of the signature parameters present. */
  readonly params: Partial<Record<SignatureParam, string>>;
  /** The other pairs, joined by `&`, exactly as received (no leading `?`); this is what the signer signed. */
  readonly rest: string;
  /** Why the signature parameters cannot be trusted (duplicate, bad percent-encoding), or undefined. */
  readonly problem: string | undefined;
}

function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Splits a raw query string (with or without its leading `?`) into CloudFront's parameters and everything else. */
export function splitSignatureParams(rawQuery: string): SplitQuery {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const params: Partial<Record<SignatureParam, string>> = {};
  const rest: string[] = [];
  let problem: string | undefined;
  if (query === '') return { params, rest: '', problem };
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    // Names are matched after percent-decoding, so "%45xpires" cannot smuggle a second Expires past the cache key.
    const name = decode(rawName);
    if (name === undefined || !RESERVED.has(name)) {
      rest.push(pair);
      continue;
    }
    const key = name as SignatureParam;
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    if (params[key] !== undefined) problem ??= `query parameter ${key} must appear once`;
    else if (value === undefined) problem ??= `query parameter ${key} is not valid percent-encoding`;
    else params[key] = value;
  }
  return { params, rest: rest.join('&'), problem };
}

/** The query without CloudFront's signature parameters (no leading `?`): what the cache key and the origin see. */
export function stripSignatureParams(rawQuery: string): string {
  return splitSignatureParams(rawQuery).rest;
}

/** True when any signature parameter is present, i.e. the request means to use a signed URL. */
export function hasSignatureParams(split: SplitQuery): boolean {
  return Object.keys(split.params).length > 0 || split.problem !== undefined;
}
