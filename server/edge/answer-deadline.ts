// How long a viewer waits for the upstream before the edge answers without it: with the stale copy, or a 504.
import type { CacheBehavior } from './behaviors.ts';

/** Playlists with a stale copy: a player re-polls them and stalls on a late one (hls.js gives a playlist ~10 s). */
export const PLAYLIST_STALE_DEADLINE_MS = 1_000;
/** Nothing to answer with but an error: wait longer (an origin 1 s away still fills), never the 10-15 s of old. */
export const PLAYLIST_COLD_DEADLINE_MS = 5_000;

/**
 * With a stale copy that may stand in for an error: the behavior's `answerDeadline` when set; else live playlists
 * ½ × their target duration, other playlists 1 s. Without one (a cold object): `coldAnswerDeadline`, else 5 s for
 * playlists. Segments and everything else wait for the upstream's own timeouts (--origin-timeout) unless their
 * behavior says otherwise: a slow first byte of a large object is no reason to fail it. Undefined: no deadline.
 */
export function answerDeadlineMs(b: CacheBehavior, hasStaleCopy: boolean, knownTargetDurationS: number | undefined): number | undefined {
  const isPlaylist = b.targetDurationTtlFactor !== undefined || b.pathPattern.endsWith('.m3u8');
  if (!hasStaleCopy) return positive(b.coldAnswerDeadlineMs ?? (isPlaylist ? PLAYLIST_COLD_DEADLINE_MS : undefined));
  if (b.answerDeadlineMs !== undefined) return positive(b.answerDeadlineMs);
  if (b.targetDurationTtlFactor !== undefined) return knownTargetDurationS ? knownTargetDurationS * 500 : PLAYLIST_STALE_DEADLINE_MS;
  return isPlaylist ? PLAYLIST_STALE_DEADLINE_MS : undefined;
}

function positive(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** `p`, or 'late' once performance.now() passes `deadline` (undefined: no deadline). */
export function withDeadline<T>(p: Promise<T>, deadline: number | undefined): Promise<T | 'late'> {
  if (deadline === undefined) return p;
  const left = deadline - performance.now();
  if (left <= 0) return Promise.resolve('late');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), left);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
