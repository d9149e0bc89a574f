// A playlist that breaks a rule of RFC 8216: the message names the playlist and the rule.
import { AppError } from '../errors.ts';

/** 502 by default: most playlists we read come from upstream (an edge, an origin, ffmpeg); callers may wrap it. */
export class PlaylistError extends AppError {
  constructor(message: string, code = 'PLAYLIST_INVALID', cause?: unknown) {
    super(code, 502, message, { cause });
  }
}
