// Pure content steering (HLS rfc8216bis §7): pathway order per asset, master playlist rewrite, steering manifest.
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

// ---- attribute lists (RFC 8216 §4.2) ----

type Attr = [name: string, raw: string];

/** `A=1,B="x,y",C=z` → [['A','1'],['B','"x,y"'],['C','z']]; quoted values keep their quotes. */
export function parseAttributeList(text: string): Attr[] {
  const attrs: Attr[] = [];
  const re = /\s*([A-Z0-9-]+)=("[^"\r\n]*"|[^,]*)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) attrs.push([m[1] ?? '', m[2] ?? '']);
  return attrs;
}

function formatAttributeList(attrs: readonly Attr[]): string {
  return attrs.map(([n, v]) => `${n}=${v}`).join(',');
}

const unquote = (raw: string): string => (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw);
const quote = (s: string): string => `"${s.replace(/["\r\n]/g, '')}"`;

function setAttr(attrs: Attr[], name: string, raw: string): Attr[] {
  const i = attrs.findIndex(([n]) => n === name);
  if (i < 0) return [...attrs, [name, raw]];
  return attrs.map((a, j): Attr => (j === i ? [name, raw] : a));
}

// ---- master playlist rewrite ----

export interface RewriteInput {
  /** The master playlist as the source edge served it. */
  readonly text: string;
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

/** Is this text a multivariant playlist (as opposed to a media playlist or not a playlist at all)? */
export function isMultivariantPlaylist(text: string): boolean {
  return text.startsWith('#EXTM3U') && /^#EXT-X-STREAM-INF:/m.test(text) && !/^#EXTINF:/m.test(text);
}

/** Group-referencing attributes of a variant whose renditions carry URIs (CLOSED-CAPTIONS groups never do). */
const GROUP_REFS = ['AUDIO', 'VIDEO', 'SUBTITLES'] as const;

/**
 * The master playlist with every variant (and alternate rendition, and I-frame playlist) repeated once per pathway:
 * PATHWAY-ID set, URIs absolute on that pathway's edge, rendition GROUP-IDs suffixed per pathway so each pathway's
 * variants reference only its own renditions (what hls.js's PATHWAY-CLONES does too), and one
 * EXT-X-CONTENT-STEERING naming the steering server and the preferred (first) pathway (rfc8216bis §4.4.6.6).
 */
export function rewriteMasterPlaylist(input: RewriteInput): string {
  const lines = input.text.split(/\r?\n/);
  const head: string[] = [];
  const session: string[] = [];
  const media: Attr[][] = [];
  const closedCaptions: string[] = [];
  const variants: Array<{ attrs: Attr[]; uri: string }> = [];
  const iframes: Attr[][] = [];
  let pending: Attr[] | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (pending) {
      if (line.startsWith('#')) continue; // comments or unknown tags between EXT-X-STREAM-INF and its URI
      variants.push({ attrs: pending, uri: line });
      pending = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const rest = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-STREAM-INF':
        pending = parseAttributeList(rest);
        break;
      case '#EXT-X-I-FRAME-STREAM-INF':
        iframes.push(parseAttributeList(rest));
        break;
      case '#EXT-X-MEDIA': {
        const attrs = parseAttributeList(rest);
        if (attrs.some(([n]) => n === 'URI')) media.push(attrs);
        else closedCaptions.push(line); // no URI (closed captions, muxed renditions): shared by every pathway
        break;
      }
      case '#EXT-X-CONTENT-STEERING':
        break; // replaced by ours
      case '#EXT-X-SESSION-DATA':
      case '#EXT-X-SESSION-KEY': {
        const attrs = parseAttributeList(rest);
        const uri = attrs.find(([n]) => n === 'URI');
        session.push(uri ? `${tag}:${formatAttributeList(setAttr(attrs, 'URI', quote(absolute(unquote(uri[1]), input.sourceUrl))))}` : line);
        break;
      }
      default:
        if (line.startsWith('#')) head.push(line);
        // A URI line without EXT-X-STREAM-INF is malformed: dropped rather than guessed at.
        break;
    }
  }

  const preferred = input.pathways[0]?.id ?? '.';
  const out = head.filter((l) => l !== '#EXTM3U');
  const body: string[] = ['#EXTM3U', ...out, ...session, ...closedCaptions];
  body.push(`#EXT-X-CONTENT-STEERING:SERVER-URI=${quote(input.steeringUri)},PATHWAY-ID=${quote(preferred)}`);
  const groupsWithUris = new Set(media.map((attrs) => `${attrValue(attrs, 'TYPE')}/${attrValue(attrs, 'GROUP-ID')}`));
  for (const p of input.pathways) {
    const move = (uri: string): string => rebase(uri, input, p);
    const suffix = (type: string, group: string): string => (groupsWithUris.has(`${type}/${group}`) ? `${group}_${p.id}` : group);
    for (const attrs of media) {
      const type = attrValue(attrs, 'TYPE');
      let a = setAttr(attrs, 'GROUP-ID', quote(suffix(type, attrValue(attrs, 'GROUP-ID'))));
      a = setAttr(a, 'URI', quote(move(attrValue(attrs, 'URI'))));
      body.push(`#EXT-X-MEDIA:${formatAttributeList(a)}`);
    }
    for (const v of variants) {
      let a = setAttr(v.attrs, 'PATHWAY-ID', quote(p.id));
      for (const ref of GROUP_REFS) {
        const group = attrValue(v.attrs, ref);
        if (group) a = setAttr(a, ref, quote(suffix(ref, group)));
      }
      body.push(`#EXT-X-STREAM-INF:${formatAttributeList(a)}`, move(v.uri));
    }
    for (const attrs of iframes) {
      let a = setAttr(attrs, 'PATHWAY-ID', quote(p.id));
      a = setAttr(a, 'URI', quote(move(attrValue(attrs, 'URI'))));
      body.push(`#EXT-X-I-FRAME-STREAM-INF:${formatAttributeList(a)}`);
    }
  }
  return `${body.join('\n')}\n`;
}

function attrValue(attrs: readonly Attr[], name: string): string {
  const a = attrs.find(([n]) => n === name);
  return a ? unquote(a[1]) : '';
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
  const carried = input.carryQuery.filter((piece) => !url.searchParams.has(queryName(piece)));
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
