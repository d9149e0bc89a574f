// Which page may read the edge's media (Fetch standard, CORS protocol): any page without credentials, or listed ones with.

/**
 * Header name/value pairs for one response. Without a list every page may read media but never with credentials
 * (`*`), which is right for public media and signed URLs. With a list (`--cors-origin`), only those pages may read,
 * and with credentials, so a player on www.example.com can present signed cookies to cdn.example.com; the answer then
 * depends on Origin, which `Vary: Origin` tells every cache (RFC 9110 §12.5.5).
 */
export function corsHeadersFor(allowed: ReadonlySet<string> | undefined, origin: string | string[] | undefined): string[] {
  if (!allowed) return ['Access-Control-Allow-Origin', '*'];
  if (typeof origin === 'string' && allowed.has(origin.toLowerCase())) {
    return ['Access-Control-Allow-Origin', origin, 'Access-Control-Allow-Credentials', 'true', 'Vary', 'Origin'];
  }
  return ['Vary', 'Origin'];
}
