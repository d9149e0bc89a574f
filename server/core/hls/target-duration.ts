// EXT-X-TARGETDURATION: the one rule that sets it (VOD and live) and the cheap read the edge does on every live playlist.

/**
 * RFC 8216 §4.3.3.1: every EXTINF, rounded to the nearest integer, must not exceed the target duration, so the target
 * is the longest segment rounded (not ceiled: a 2.021 s first live segment, AAC priming, keeps a 2 s target while 2.6 s
 * needs 3). Never below `minimumSeconds` (ceiled) nor 1: a live channel passes the target it already announced, as the
 * target duration must not change during the life of a playlist (§6.2.1) and caches derive their TTL from it.
 */
export function targetDurationFor(durationsSeconds: Iterable<number>, minimumSeconds = 1): number {
  let td = Math.max(1, Math.ceil(minimumSeconds));
  for (const d of durationsSeconds) td = Math.max(td, Math.round(d));
  return td;
}

const TAG = '#EXT-X-TARGETDURATION:';
/** The tag sits in the playlist header; a live window's header is far shorter than this. */
const SCAN_CHARS = 4096;

/**
 * EXT-X-TARGETDURATION of a media playlist (a decimal-integer, §4.3.3.1) from the first 4 KiB, without parsing the
 * rest: the edge calls this each time it stores a live playlist, to set its TTL. Undefined when absent or not positive.
 */
export function targetDurationOf(playlist: string | Uint8Array | undefined): number | undefined {
  if (playlist === undefined) return undefined;
  const head = typeof playlist === 'string' ? playlist.slice(0, SCAN_CHARS) : Buffer.from(playlist.buffer, playlist.byteOffset, Math.min(playlist.byteLength, SCAN_CHARS)).toString('latin1');
  for (const raw of head.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(TAG)) continue;
    const value = line.slice(TAG.length);
    if (!/^\d{1,5}$/.test(value)) return undefined;
    const td = Number(value);
    return td > 0 ? td : undefined;
  }
  return undefined;
}
