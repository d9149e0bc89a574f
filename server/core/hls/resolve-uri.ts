// URIs in a playlist are relative to the playlist's own URL (RFC 8216 §4.1); resolving one that is not a URI is an error.
import { PlaylistError } from './playlist-error.ts';

/** `uri` against `baseUrl` (RFC 3986 §5.2 through WHATWG URL); as written when there is no base (a playlist on disk). */
export function resolveUri(uri: string, baseUrl: string | undefined, source: string): string {
  if (baseUrl === undefined) return uri;
  try {
    return new URL(uri, baseUrl).href;
  } catch (err) {
    throw new PlaylistError(`playlist ${source}: URI ${JSON.stringify(uri)} does not resolve against ${baseUrl}`, 'PLAYLIST_INVALID', err);
  }
}
