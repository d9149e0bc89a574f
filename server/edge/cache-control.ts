// Pure parsing of Cache-Control (RFC 9111 §5.2) and HTTP dates, as the edge needs them to decide lifetimes.

export interface CacheDirectives {
  readonly maxAgeS?: number;
  readonly sMaxAgeS?: number;
  readonly staleWhileRevalidateS?: number;
  readonly staleIfErrorS?: number;
  readonly noStore: boolean;
  readonly noCache: boolean;
  readonly isPrivate: boolean;
  readonly mustRevalidate: boolean;
  readonly immutable: boolean;
}

const NONE: CacheDirectives = { noStore: false, noCache: false, isPrivate: false, mustRevalidate: false, immutable: false };

/** Delta-seconds per RFC 9111 §1.2.2: digits only; anything else makes the directive invalid (ignored). */
function deltaSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
  if (!/^\d{1,12}$/.test(s)) return undefined;
  return Number(s);
}

export function parseCacheControl(header: string | undefined): CacheDirectives {
  if (!header) return NONE;
  const d: Record<string, string | true> = {};
  for (const part of header.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    // RFC 9111 §4.2.1: when a directive repeats, the first one wins for our purposes (conservative and predictable).
    if (name in d) continue;
    d[name] = eq < 0 ? true : item.slice(eq + 1).trim();
  }
  const num = (name: string): number | undefined => {
    const v = d[name];
    return typeof v === 'string' ? deltaSeconds(v) : undefined;
  };
  return {
    maxAgeS: num('max-age'),
    sMaxAgeS: num('s-maxage'),
    staleWhileRevalidateS: num('stale-while-revalidate'),
    staleIfErrorS: num('stale-if-error'),
    noStore: 'no-store' in d,
    // no-cache with field names (no-cache="Set-Cookie") only restricts those fields; we never store Set-Cookie anyway.
    noCache: d['no-cache'] === true,
    isPrivate: d['private'] === true,
    mustRevalidate: 'must-revalidate' in d || 'proxy-revalidate' in d,
    immutable: 'immutable' in d,
  };
}

/** IMF-fixdate and the obsolete formats Date.parse accepts; undefined when unparseable (RFC 9110 §5.6.7). */
export function parseHttpDate(v: string | undefined): number | undefined {
  if (!v || v.length > 64) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
