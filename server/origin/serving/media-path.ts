// Pure: validate a raw /vod/… or /live/… request path against the only shapes the origin serves.
import { ASSET_ID } from '../packaging/types.ts';

export type MediaScope = 'vod' | 'live';
export type MediaFileKind = 'master' | 'media' | 'segment' | 'init';

export interface MediaPath {
  readonly scope: MediaScope;
  /** Asset id or live channel name. */
  readonly name: string;
  readonly rendition: string | undefined;
  readonly file: string;
  readonly kind: MediaFileKind;
  readonly contentType: string;
  /** Path parts below the asset's or channel's folder: [file] or [rendition, file]. */
  readonly parts: readonly string[];
}

export type MediaPathResult =
  | { readonly ok: true; readonly path: MediaPath }
  | { readonly ok: false; readonly status: 400 | 404; readonly code: string; readonly message: string };

/** Known media extensions and their types; RFC 8216 §4 for playlists, RFC 8216 §3 for segment formats. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  aac: 'audio/aac',
  vtt: 'text/vtt; charset=utf-8',
};

// Every name the packager and the live channels write is plain ASCII: anything else in the raw path (percent-
// encoding of any depth, backslashes, NUL, non-ASCII or overlong UTF-8 bytes) is refused before it is decoded.
const RAW_PATH = /^[A-Za-z0-9/._-]+$/;
const RENDITION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// One dot, followed by a known extension: no dot-files, no "..", no double extensions.
const FILE = /^([A-Za-z0-9][A-Za-z0-9_-]{0,127})\.([a-z0-9]{2,4})$/;

function bad(message: string): MediaPathResult {
  return { ok: false, status: 400, code: 'BAD_PATH', message };
}

function notFound(message: string): MediaPathResult {
  return { ok: false, status: 404, code: 'NOT_FOUND', message };
}

/**
 * `rawPath` is the pathname exactly as received (no query, not percent-decoded):
 * /{scope}/{name}/{file}.m3u8 or /{scope}/{name}/{rendition}/{file}.{m3u8|ts|m4s|mp4|aac|vtt}.
 */
export function parseMediaPath(rawPath: string): MediaPathResult {
  const shown = JSON.stringify(rawPath.slice(0, 200));
  if (!RAW_PATH.test(rawPath)) {
    return bad(`path ${shown} may contain only letters, digits, ".", "_", "-" and "/", without percent-encoding`);
  }
  const segments = rawPath.split('/');
  if (segments[0] !== '') return bad(`path ${shown} must start with "/"`);
  const rest = segments.slice(1);
  if (rest.some((s) => s === '')) return bad(`path ${shown} must not contain empty segments`);
  if (rest.some((s) => s.startsWith('.'))) return bad(`path ${shown} must not contain segments starting with "."`);
  const [scope, name, ...parts] = rest;
  if (scope !== 'vod' && scope !== 'live') return notFound(`path ${shown} is not under /vod/ or /live/`);
  if (name === undefined || !ASSET_ID.test(name)) {
    return notFound(`${scope === 'vod' ? 'asset' : 'channel'} name in ${shown} must match ${ASSET_ID.source}`);
  }
  if (parts.length < 1 || parts.length > 2) {
    return notFound(`path ${shown} must be /${scope}/{name}/{playlist} or /${scope}/{name}/{rendition}/{file}`);
  }
  const rendition = parts.length === 2 ? parts[0] : undefined;
  const file = parts[parts.length - 1] ?? '';
  if (rendition !== undefined && !RENDITION.test(rendition)) return notFound(`rendition "${rendition}" must match ${RENDITION.source}`);
  const m = FILE.exec(file);
  const ext = m?.[2];
  const contentType = ext === undefined ? undefined : CONTENT_TYPES[ext];
  if (!m || ext === undefined || contentType === undefined) {
    return notFound(`file "${file}" must be a name with one of the extensions ${Object.keys(CONTENT_TYPES).join(', ')}`);
  }
  if (rendition === undefined && ext !== 'm3u8') return notFound(`only playlists live at the top of an ${scope === 'vod' ? 'asset' : 'channel'}, not "${file}"`);
  const kind: MediaFileKind =
    ext === 'm3u8' ? (rendition === undefined ? 'master' : 'media') : ext === 'mp4' && file.startsWith('init') ? 'init' : 'segment';
  return { ok: true, path: { scope, name, rendition, file, kind, contentType, parts } };
}

export function isPlaylist(kind: MediaFileKind): boolean {
  return kind === 'master' || kind === 'media';
}
