// hls-parser in strict mode: a playlist that breaks a MUST of RFC 8216 throws (never a console line and a half-read object).
import HLS from 'hls-parser';
import { PlaylistError } from './playlist-error.ts';

export type HlsMasterPlaylist = HLS.types.MasterPlaylist;
export type HlsMediaPlaylist = HLS.types.MediaPlaylist;
export type HlsRendition = HLS.types.Rendition;
export const hlsTypes = HLS.types;

/** A media playlist of a ten-hour VOD in 1 s segments is ~2 MB; anything larger is not one we should hold in memory. */
export const MAX_PLAYLIST_CHARS = 4 * 1024 * 1024;

/**
 * hls-parser's options are module-global and default to "log the error and carry on"; strict mode is switched on
 * around each call only (both calls are synchronous), so whoever else uses the library in this process keeps its own.
 */
function strictly<T>(what: string, run: () => T): T {
  const saved = HLS.getOptions();
  HLS.setOptions({ strictMode: true, silent: true });
  try {
    return run();
  } catch (err) {
    throw new PlaylistError(`${what}: ${ruleOf(err)}`, 'PLAYLIST_INVALID', err);
  } finally {
    HLS.setOptions({ strictMode: saved.strictMode ?? false, silent: saved.silent ?? false });
  }
}

/** hls-parser words its errors "Invalid Playlist : <the rule>"; constructor checks only say which argument failed. */
function ruleOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const rule = message.replace(/^Invalid Playlist : /, '');
  return /^(Conditional )?(Param Check|Assert)/.test(rule) ? `a tag lacks an attribute it requires (${rule})` : rule;
}

/** Parses a playlist of either kind; `source` names it in errors (a URL or a file). */
export function parseStrict(text: string, source: string): HlsMasterPlaylist | HlsMediaPlaylist {
  if (text.length > MAX_PLAYLIST_CHARS) throw new PlaylistError(`playlist ${source}: larger than ${MAX_PLAYLIST_CHARS} characters`, 'PLAYLIST_TOO_LARGE');
  // RFC 8216 §4.3.1.1; hls-parser would skip leading junk (an HTML error page) before deciding.
  if (!text.replace(/^\uFEFF/, '').trimStart().startsWith('#EXTM3U')) throw new PlaylistError(`playlist ${source}: must start with #EXTM3U (RFC 8216 §4.3.1.1)`);
  return strictly(`playlist ${source}`, () => HLS.parse(text));
}

/** Playlist text from hls-parser's object model, with the final newline hls-parser leaves out. */
export function stringifyStrict(playlist: HlsMasterPlaylist | HlsMediaPlaylist): string {
  return `${strictly('cannot write playlist', () => HLS.stringify(playlist))}\n`;
}
