// A beacon's playlist URL as it may be sent and kept, shared by the player (which sends it) and the receiver (which stores it).

/**
 * A beacon's playlist URL as it may be kept: scheme, host and path only. The query of a signed URL is its credential
 * (CloudFront's Policy, Signature, Key-Pair-Id, Expires) and other queries may carry tokens too, so no query is kept;
 * nor a fragment, nor user:password@. Not a URL: everything from the first "?" or "#" is dropped.
 */
export function srcWithoutQuery(src: string): string {
  try {
    const u = new URL(src);
    if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    // a relative or odd src: cut by hand below
  }
  return src.replace(/[?#].*$/s, '');
}
