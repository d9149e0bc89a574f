// The CMCD query (CTA-5004) the shipped player's hls.js adds to every request, so the bench drives the edge the way
// viewers do: keys in alphabetical order, one `CMCD=` parameter, values URL-encoded (`%3D`, `%2C`, `%22`).
import { randomUUID } from 'node:crypto';

export type CmcdObject = 'segment' | 'playlist';

export interface CmcdOptions {
  readonly object: CmcdObject;
  /** cid: hls.js sends the master playlist's path (the player passes `src.pathname`). */
  readonly contentId: string;
  /** How many different queries: a few sessions and buffer states, so the edge never sees one cached string. */
  readonly count: number;
  /** Session ids, one per query (default: random UUIDs, as hls.js makes them). */
  readonly sessionIds?: readonly string[];
}

const BITRATES_KBPS = [562, 1178, 2500, 4800] as const;

/** The CMCD key=value list of one request, as hls.js writes it (v1 keys, sorted). */
export function cmcdPairs(object: CmcdObject, contentId: string, sessionId: string, i: number): string {
  const cid = `cid=${JSON.stringify(contentId)}`;
  const sid = `sid=${JSON.stringify(sessionId)}`;
  if (object === 'playlist') {
    // A media playlist: object type m, no buffer keys; the first requests of a session carry su (startup).
    return [cid, 'ot=m', 'sf=h', sid, 'st=v', ...(i % 2 === 0 ? ['su'] : [])].join(',');
  }
  const br = BITRATES_KBPS[i % BITRATES_KBPS.length] ?? 1178;
  const bl = 1000 + ((i * 700) % 29_000);
  const mtp = 20_000 + i * 3_100;
  return [`bl=${bl}`, `br=${br}`, cid, 'd=4000', `mtp=${mtp}`, 'ot=v', 'sf=h', sid, 'st=v', `tb=${BITRATES_KBPS[BITRATES_KBPS.length - 1]}`].join(',');
}

/** `count` distinct query strings (without the `?`), each `CMCD=<encoded pairs>`. */
export function cmcdQueries(o: CmcdOptions): string[] {
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`cmcdQueries: count must be a positive integer, got ${o.count}`);
  const out: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const sid = o.sessionIds?.[i % o.sessionIds.length] ?? randomUUID();
    out.push(`CMCD=${encodeURIComponent(cmcdPairs(o.object, o.contentId, sid, i))}`);
  }
  return out;
}
