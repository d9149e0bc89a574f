// Pure content steering (HLS rfc8216bis §7): pathway order per asset, master playlist rewrite, steering manifest.
import { hlsTypes, type HlsMasterPlaylist, type HlsRendition } from '../core/hls/strict-hls.ts';
import { writeHlsMaster } from '../core/hls/write-master.ts';
import type { EdgeView } from './edge-directory.ts';
import { ANY_REGION, isOriginUnreachable, type RingSet } from './route-decision.ts';

/** One edge as a pathway: every variant of the master appears once per pathway, with absolute URLs on that edge. */
export interface Pathway {
  readonly id: string;
  readonly edge: EdgeView;
}

/** The steering manifest (rfc8216bis §7.1), JSON with exactly these upper-case keys. */
export interface SteeringManifest {
  readonly VERSION: 1;
  readonly TTL: number;
  readonly 'RELOAD-URI': string;
  readonly 'PATHWAY-PRIORITY': string[];
}

/** rfc8216bis §4.4.6.2: a PATHWAY-ID uses only [a..z], [A..Z], [0..9], '.', '-' and '_'. */
const PATHWAY_CHARS = /[^A-Za-z0-9._-]/g;

export function pathwayIdOf(edgeId: string): string {
  return edgeId.replace(PATHWAY_CHARS, '_').slice(0, 64) || 'edge';
}

/**
 * Every known edge, best first, for one asset and viewer: the routing decision's edge, then healthy edges with room
 * (the viewer's region in the asset's ring order, then the others in the all-edges ring order), then those that say
 * their origin is unreachable (they serve what they hold), then overloaded ones, then unhealthy ones. Ring order keeps each asset's fallback traffic on few edges, as primary routing does.
 */
export function pathwayOrder(input: {
  readonly asset: string;
  readonly viewerRegion: string | undefined;
  readonly edges: readonly EdgeView[];
  readonly rings: RingSet;
  readonly chosen: EdgeView | undefined;
  readonly overloadThreshold: number;
}): EdgeView[] {
  const byKey = new Map(input.edges.map((e) => [e.key, e]));
  const seen = new Set<string>();
  const ordered: EdgeView[] = [];
  const add = (keys: readonly string[]): void => {
    for (const k of keys) {
      const e = byKey.get(k);
      if (e && !seen.has(k)) {
        seen.add(k);
        ordered.push(e);
      }
    }
  };
  if (input.viewerRegion) add(input.rings.get(input.viewerRegion)?.walk(input.asset) ?? []);
  add(input.rings.get(ANY_REGION)?.walk(input.asset) ?? []);
  add(input.edges.map((e) => e.key)); // edges a stale ring does not know yet
  const isOverloaded = (e: EdgeView): boolean => input.overloadThreshold > 0 && e.load !== undefined && e.load > input.overloadThreshold;
  const rank = (e: EdgeView): number => (e === input.chosen ? 0 : !e.healthy ? 4 : isOverloaded(e) ? 3 : isOriginUnreachable(e) ? 2 : 1);
  // Array.prototype.sort is stable: ring order survives within each rank.
  return ordered.sort((a, b) => rank(a) - rank(b));
}

/**
 * Pathway ids for edges, in the order given. Ids stay unique when two edge ids sanitize to the same text, and are
 * assigned in edge-key order, so a master playlist and a later steering manifest name each edge alike.
 */
export function pathwaysOf(edges: readonly EdgeView[]): Pathway[] {
  const used = new Set<string>();
  const ids = new Map<string, string>();
  for (const edge of [...edges].sort((a, b) => a.key.localeCompare(b.key))) {
    const base = pathwayIdOf(edge.id);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    ids.set(edge.key, id);
  }
  return edges.map((edge) => ({ id: ids.get(edge.key) ?? pathwayIdOf(edge.id), edge }));
}

export function steeringManifest(ttlS: number, reloadUri: string, priority: readonly string[]): SteeringManifest {
  return { VERSION: 1, TTL: Math.max(1, Math.round(ttlS)), 'RELOAD-URI': reloadUri, 'PATHWAY-PRIORITY': [...priority] };
}

// ---- master playlist rewrite ----

export interface RewriteInput {
  /** The master playlist as the source edge served it, read by core/hls (URIs as written). */
  readonly master: HlsMasterPlaylist;
  /** Where it was fetched: relative URIs resolve against this. */
  readonly sourceUrl: string;
  /** The source edge's base URL: absolute URIs under it move to each pathway's edge. */
  readonly sourceBase: string;
  readonly pathways: readonly Pathway[];
  /** The viewer's query parameters to carry onto every rewritten URI (signatures, tokens): raw `name=value` pieces. */
  readonly carryQuery: readonly string[];
  /** SERVER-URI of EXT-X-CONTENT-STEERING, usually relative to the master (this router). */
  readonly steeringUri: string;
}

/**
 * The master playlist with every variant (and I-frame playlist, and alternate rendition) repeated once per pathway:
 * PATHWAY-ID set, URIs absolute on that pathway's edge, rendition GROUP-IDs suffixed per pathway so each pathway's
 * variants reference only its own renditions (what hls.js's PATHWAY-CLONES does too), and one
 * EXT-X-CONTENT-STEERING naming the steering server and the preferred (first) pathway (rfc8216bis §4.4.6.6).
 * Tags hls-parser does not model are not carried over: a rewrite cannot vouch for what it does not understand.
 */
export function rewriteMasterPlaylist(input: RewriteInput): string {
  const { master } = input;
  // Groups whose renditions carry URIs get one copy per pathway; the others (closed captions, audio muxed into the
  // variant) have nothing to move and stay shared.
  const groupsWithUris = new Set<string>();
  for (const v of master.variants) for (const r of [...v.audio, ...v.video, ...v.subtitles]) if (r.uri) groupsWithUris.add(`${r.type}/${r.groupId}`);
  const variants = input.pathways.flatMap((p) => {
    const move = (uri: string): string => rebase(uri, input, p);
    const clone = <R extends HlsRendition>(r: R): R =>
      groupsWithUris.has(`${r.type}/${r.groupId}`) ? (new hlsTypes.Rendition({ ...r, groupId: `${r.groupId}_${p.id}`, uri: r.uri === undefined ? undefined : move(r.uri) }) as R) : r;
    return master.variants.map(
      (v) => new hlsTypes.Variant({ ...v, uri: move(v.uri), pathwayId: p.id, audio: v.audio.map(clone), video: v.video.map(clone), subtitles: v.subtitles.map(clone) }),
    );
  });
  return writeHlsMaster(
    new hlsTypes.MasterPlaylist({
      version: master.version,
      independentSegments: master.independentSegments,
      start: master.start,
      defines: master.defines,
      sessionDataList: master.sessionDataList.map((d) => (d.uri === undefined ? d : new hlsTypes.SessionData({ ...d, uri: absolute(d.uri, input.sourceUrl) }))),
      sessionKeyList: master.sessionKeyList.map((k) => (k.uri === undefined ? k : new hlsTypes.Key({ ...k, uri: absolute(k.uri, input.sourceUrl) }))),
      contentSteering: new hlsTypes.ContentSteering({ serverUri: input.steeringUri, pathwayId: input.pathways[0]?.id ?? '.' }),
      variants,
    }),
  );
}

function absolute(uri: string, base: string): string {
  try {
    return new URL(uri, base).href;
  } catch {
    return uri;
  }
}

/** The URI resolved against the source, moved to the pathway's edge when it was on the source edge, plus the carried query. */
function rebase(uri: string, input: RewriteInput, p: Pathway): string {
  let url: URL;
  try {
    url = new URL(uri, input.sourceUrl);
  } catch {
    return uri;
  }
  let href = url.href;
  if (href.startsWith(`${input.sourceBase}/`)) href = `${p.edge.url.replace(/\/+$/, '')}${href.slice(input.sourceBase.length)}`;
  if (input.carryQuery.length === 0) return href;
  // Names already on the URI win (the packager's own parameters are never overwritten by the viewer's); the pieces
  // are appended byte for byte, since re-encoding could change what a signature covers.
  // A raw double quote (browsers send %22) would end the quoted-string of an EXT-X-MEDIA URI (RFC 8216 §4.2): it is
  // percent-encoded, as the WHATWG URL parser does for any query.
  const carried = input.carryQuery.filter((piece) => !url.searchParams.has(queryName(piece))).map((piece) => piece.replace(/"/g, '%22'));
  if (carried.length === 0) return href;
  return `${href}${url.search ? '&' : '?'}${carried.join('&')}`;
}

/** The decoded name of a raw `name=value` query piece. */
export function queryName(piece: string): string {
  const eq = piece.indexOf('=');
  const raw = (eq < 0 ? piece : piece.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
