// The one m3u8 reader: text → master or media playlist, through hls-parser in strict mode, bounded and checked.
import { readMaster, type ReadMasterPlaylist } from './read-master.ts';
import { readMedia, type ReadMediaPlaylist } from './read-media.ts';
import { PlaylistError } from './playlist-error.ts';
import { parseStrict } from './strict-hls.ts';

export type { ReadMasterPlaylist, ReadVariant } from './read-master.ts';
export type { ReadMediaPlaylist, ReadSegment } from './read-media.ts';

export interface ReadOptions {
  /** Where the text came from, for error messages; defaults to `baseUrl` or "(text)". */
  readonly source?: string;
  /** The playlist's own URL: every URI comes back absolute. Without it URIs are returned as written. */
  readonly baseUrl?: string;
}

export type ReadPlaylist = { readonly kind: 'master'; readonly master: ReadMasterPlaylist } | { readonly kind: 'media'; readonly media: ReadMediaPlaylist };

/** Either kind of playlist; throws PlaylistError naming the playlist and the broken rule. */
export function readPlaylist(text: string, opts: ReadOptions = {}): ReadPlaylist {
  const source = opts.source ?? opts.baseUrl ?? '(text)';
  const parsed = parseStrict(text, source);
  return parsed.isMasterPlaylist
    ? { kind: 'master', master: readMaster(parsed, text, source, opts.baseUrl) }
    : { kind: 'media', media: readMedia(parsed, source, opts.baseUrl) };
}

export function readMasterPlaylist(text: string, opts: ReadOptions = {}): ReadMasterPlaylist {
  const read = readPlaylist(text, opts);
  if (read.kind !== 'master') throw new PlaylistError(`playlist ${opts.source ?? opts.baseUrl ?? '(text)'} is a media playlist, not a master playlist`);
  return read.master;
}

export function readMediaPlaylist(text: string, opts: ReadOptions = {}): ReadMediaPlaylist {
  const read = readPlaylist(text, opts);
  if (read.kind !== 'media') throw new PlaylistError(`playlist ${opts.source ?? opts.baseUrl ?? '(text)'} is a master playlist, not a media playlist`);
  return read.media;
}
