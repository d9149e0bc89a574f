// Pure parser for Common Media Client Data (CTA-5004): what a player reports with each request, as a query param or headers.

/** A parsed value: CTA-5004 §3.2 uses Structured Field Values (RFC 8941) items: integers, decimals, strings, tokens, booleans. */
export type CmcdValue = number | string | boolean;

export type CmcdObjectType = 'm' | 'a' | 'v' | 'av' | 'i' | 'c' | 'tt' | 'k' | 'o';
export type CmcdStreamingFormat = 'd' | 'h' | 's' | 'o';
export type CmcdStreamType = 'v' | 'l';

/** The keys CTA-5004 (v1) defines, typed; units as the standard gives them (kbps, ms). */
export interface CmcdData {
  /** Encoded bitrate of the requested object, kbps. */
  br?: number;
  /** Buffer length, ms (rounded to 100 ms by the player). */
  bl?: number;
  /** Buffer starvation since the previous request. */
  bs?: boolean;
  /** Content id. */
  cid?: string;
  /** Object duration, ms. */
  d?: number;
  /** Deadline: ms until the buffer would starve. */
  dl?: number;
  /** Measured throughput, kbps. */
  mtp?: number;
  /** Next object request (relative URL), a prefetch hint. */
  nor?: string;
  /** Next range request, "start-end". */
  nrr?: string;
  ot?: CmcdObjectType;
  /** Playback rate (1 = real time). */
  pr?: number;
  /** Requested maximum throughput, kbps. */
  rtp?: number;
  sf?: CmcdStreamingFormat;
  /** Session id. */
  sid?: string;
  st?: CmcdStreamType;
  /** Startup: the object is needed urgently (startup, seek, recovery after starvation). */
  su?: boolean;
  /** Top bitrate the player can play, kbps. */
  tb?: number;
  /** CMCD version; 1 when absent. */
  v?: number;
}

export interface ParsedCmcd {
  readonly data: CmcdData;
  /** Keys the v1 table does not define: custom keys (they contain a hyphen) and keys of later versions. */
  readonly other: Readonly<Record<string, CmcdValue>>;
  /** Where the data came from. */
  readonly source: 'none' | 'query' | 'headers' | 'both';
  /** Entries that were dropped, each naming the key and the rule. */
  readonly problems: readonly string[];
}

type Kind = 'integer' | 'decimal' | 'string' | 'boolean' | 'token';
const KEYS: Record<keyof CmcdData, { kind: Kind; tokens?: readonly string[]; maxLength?: number }> = {
  br: { kind: 'integer' },
  bl: { kind: 'integer' },
  bs: { kind: 'boolean' },
  cid: { kind: 'string', maxLength: 64 },
  d: { kind: 'integer' },
  dl: { kind: 'integer' },
  mtp: { kind: 'integer' },
  nor: { kind: 'string' },
  nrr: { kind: 'string' },
  ot: { kind: 'token', tokens: ['m', 'a', 'v', 'av', 'i', 'c', 'tt', 'k', 'o'] },
  pr: { kind: 'decimal' },
  rtp: { kind: 'integer' },
  sf: { kind: 'token', tokens: ['d', 'h', 's', 'o'] },
  sid: { kind: 'string', maxLength: 64 },
  st: { kind: 'token', tokens: ['v', 'l'] },
  su: { kind: 'boolean' },
  tb: { kind: 'integer' },
  v: { kind: 'integer' },
};

/** Bounds on untrusted input: the parser's cost stays proportional to a small, fixed size. */
const MAX_INPUT = 4096;
const MAX_ENTRIES = 64;
const KEY = /^[a-z][a-z0-9_.-]{0,63}$/;
const TOKEN = /^[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*$/;
const INTEGER = /^-?\d{1,15}$/;
const DECIMAL = /^-?\d{1,12}(\.\d{1,3})?$/;

function isKnownKey(key: string): key is keyof CmcdData {
  return Object.hasOwn(KEYS, key);
}

/**
 * The v1 key spelled by input[start, end), read from its character codes without making a string (and so without
 * hashing one): most entries of a report are keys the edge skips, and it reads every request's report.
 */
function knownKeyAt(input: string, start: number, end: number): keyof CmcdData | undefined {
  const len = end - start;
  if (len < 1 || len > 3) return undefined;
  const a = input.charCodeAt(start);
  const b = len > 1 ? input.charCodeAt(start + 1) : 0;
  const c = len > 2 ? input.charCodeAt(start + 2) : 0;
  switch ((a << 16) | (b << 8) | c) {
    case 0x627200: return 'br';
    case 0x626c00: return 'bl';
    case 0x627300: return 'bs';
    case 0x636964: return 'cid';
    case 0x640000: return 'd';
    case 0x646c00: return 'dl';
    case 0x6d7470: return 'mtp';
    case 0x6e6f72: return 'nor';
    case 0x6e7272: return 'nrr';
    case 0x6f7400: return 'ot';
    case 0x707200: return 'pr';
    case 0x727470: return 'rtp';
    case 0x736600: return 'sf';
    case 0x736964: return 'sid';
    case 0x737400: return 'st';
    case 0x737500: return 'su';
    case 0x746200: return 'tb';
    case 0x760000: return 'v';
    default: return undefined;
  }
}

/** A plain non-negative integer of at most 15 digits in input[start, end), read without a string; else undefined. */
function plainIntegerAt(input: string, start: number, end: number): number | undefined {
  if (end <= start || end - start > 15) return undefined;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = input.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

/** Where the quoted string starting at `quote` ends (after its closing quote; a backslash escapes the next character). */
function afterQuoted(input: string, quote: number): number {
  const n = input.length;
  let j = quote + 1;
  for (; j < n; j++) {
    const c = input.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) break;
  }
  // An unterminated string runs to the end.
  return Math.min(j + 1, n);
}

/** The next comma at or after `from` outside quoted strings, or the input's length. */
function entryEnd(input: string, from: number): number {
  const n = input.length;
  for (let i = from; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c === 44) return i;
    if (c === 34) i = afterQuoted(input, i) - 1;
  }
  return n;
}

const NOT_AN_ITEM = Symbol('not an item');
/** Set by parseItem: the item was an unquoted token rather than a quoted string (CTA-5004 says which a key takes). */
let itemIsToken = false;

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** One RFC 8941 bare item in input[start, end) (parameters after `;` are ignored), or NOT_AN_ITEM. */
function parseItem(input: string, start: number, end: number): CmcdValue | typeof NOT_AN_ITEM {
  itemIsToken = false;
  while (start < end && isSpace(input.charCodeAt(start))) start++;
  if (input.charCodeAt(start) === 34) {
    // A quoted string: up to its closing quote, which must end the item (before any parameters).
    const close = afterQuoted(input, start);
    let stop = close;
    while (stop < end && isSpace(input.charCodeAt(stop))) stop++;
    if (close - start < 2 || input.charCodeAt(close - 1) !== 34 || (stop < end && input.charCodeAt(stop) !== 59)) return NOT_AN_ITEM;
    const inner = input.slice(start + 1, close - 1);
    return inner.includes('\\') ? inner.replace(/\\(["\\])/g, '$1') : inner;
  }
  const semicolon = input.indexOf(';', start);
  if (semicolon >= 0 && semicolon < end) end = semicolon;
  while (end > start && isSpace(input.charCodeAt(end - 1))) end--;
  const v = input.slice(start, end);
  if (v === '?1' || v === 'true') return true;
  if (v === '?0' || v === 'false') return false;
  const c = v.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45) {
    if (INTEGER.test(v) || DECIMAL.test(v)) return Number(v);
  }
  itemIsToken = true;
  if (TOKEN.test(v)) return v;
  // Inner lists of later versions (`(1 2 3)`) are kept as their text.
  if (v.startsWith('(') && v.endsWith(')')) return v;
  itemIsToken = false;
  return NOT_AN_ITEM;
}

/** The value when it has the type the v1 table gives `key`, else what was expected (a problem to report). */
function checkKnown(key: keyof CmcdData, value: CmcdValue, isToken: boolean): { readonly expected: string } | undefined {
  const rule = KEYS[key];
  switch (rule.kind) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? undefined : { expected: 'a non-negative integer' };
    case 'decimal':
      return typeof value === 'number' && value >= 0 ? undefined : { expected: 'a non-negative decimal' };
    case 'boolean':
      return typeof value === 'boolean' ? undefined : { expected: 'a boolean' };
    case 'token':
      return typeof value === 'string' && isToken && (rule.tokens ?? []).includes(value) ? undefined : { expected: `one of ${(rule.tokens ?? []).join(', ')}` };
    case 'string':
      if (typeof value !== 'string' || isToken) return { expected: 'a quoted string' };
      return rule.maxLength !== undefined && value.length > rule.maxLength ? { expected: `at most ${rule.maxLength} characters` } : undefined;
  }
}

interface Accumulator {
  data: Record<string, CmcdValue>;
  other: Record<string, CmcdValue>;
  problems: string[];
}

/**
 * One pass over the entries (commas outside quoted strings separate them), without building the list or an object
 * per entry: an edge reads a few keys of each report, on every request, and skips the rest unparsed.
 */
function parseInto(input: string, acc: Accumulator, only: ReadonlySet<string> | undefined): void {
  if (input.length > MAX_INPUT) {
    acc.problems.push(`CMCD data longer than ${MAX_INPUT} characters ignored`);
    return;
  }
  const n = input.length;
  let entries = 0;
  let start = 0;
  while (start <= n) {
    // The key runs to '=' or to the end of the entry (a bare key is a boolean TRUE, CTA-5004 §3.2).
    let k = start;
    for (; k < n; k++) {
      const c = input.charCodeAt(k);
      if (c === 61 || c === 44 || c === 34) break;
    }
    const hasValue = k < n && input.charCodeAt(k) === 61;
    const end = hasValue || (k < n && input.charCodeAt(k) === 34) ? entryEnd(input, k) : k;
    if (only) {
      // The fast path for the edge's few keys: v1 keys by their codes, integers read in place.
      const known = knownKeyAt(input, start, hasValue ? k : end);
      if (known !== undefined) {
        if (++entries > MAX_ENTRIES) {
          acc.problems.push(`more than ${MAX_ENTRIES} CMCD entries; the rest ignored`);
          return;
        }
        start = end + 1;
        if (!only.has(known)) continue;
        const rule = KEYS[known].kind;
        const int = hasValue && rule === 'integer' ? plainIntegerAt(input, k + 1, end) : undefined;
        if (int !== undefined) {
          acc.data[known] = int;
          continue;
        }
        const value = hasValue ? parseItem(input, k + 1, end) : true;
        if (value === NOT_AN_ITEM) {
          acc.problems.push(`${known}: unparsable value`);
          continue;
        }
        const wrong = checkKnown(known, value, hasValue && itemIsToken);
        if (wrong) acc.problems.push(`${known}: expected ${wrong.expected}`);
        else acc.data[known] = value;
        continue;
      }
    }
    let key = input.slice(start, hasValue ? k : end);
    if (key.length > 0 && (isSpace(key.charCodeAt(0)) || isSpace(key.charCodeAt(key.length - 1)))) key = key.trim();
    const next = end + 1;
    if (key === '' && !hasValue) {
      // An empty entry ("a,,b").
      start = next;
      continue;
    }
    if (++entries > MAX_ENTRIES) {
      acc.problems.push(`more than ${MAX_ENTRIES} CMCD entries; the rest ignored`);
      return;
    }
    start = next;
    // Keys the caller does not read are skipped unparsed (and unjudged).
    if (only && !only.has(key)) continue;
    if (!KEY.test(key)) {
      acc.problems.push(`"${key.slice(0, 32)}": not a CMCD key`);
      continue;
    }
    const value = hasValue ? parseItem(input, k + 1, end) : true;
    const isToken = hasValue && itemIsToken;
    if (value === NOT_AN_ITEM) {
      acc.problems.push(`${key}: unparsable value`);
      continue;
    }
    if (!isKnownKey(key)) {
      acc.other[key] = value;
      continue;
    }
    const wrong = checkKnown(key, value, isToken);
    if (wrong) acc.problems.push(`${key}: expected ${wrong.expected}`);
    else acc.data[key] = value;
  }
}

/** Parse one CMCD string, as found in the CMCD query param (already URL-decoded) or a CMCD-* header. */
export function parseCmcdString(input: string): ParsedCmcd {
  return parseCmcd({ query: input });
}

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The CMCD sent with one request: the `CMCD` query param (CTA-5004 §2.2) and the four CMCD-* header shards (§2.1).
 * With `only`, just those keys are parsed and checked; every other entry is skipped (`other` stays empty).
 */
export function parseCmcd(input: { readonly query?: string | null; readonly headers?: HeaderBag; readonly only?: ReadonlySet<keyof CmcdData> }): ParsedCmcd {
  const only = input.only as ReadonlySet<string> | undefined;
  const acc: Accumulator = { data: {}, other: {}, problems: [] };
  let fromQuery = false;
  let fromHeaders = false;
  if (input.query !== undefined && input.query !== null && input.query !== '') {
    parseInto(input.query, acc, only);
    fromQuery = true;
  }
  if (input.headers) {
    for (const name in input.headers) {
      const value = input.headers[name];
      if (value === undefined || !/^cmcd-(request|object|status|session)$/i.test(name)) continue;
      if (typeof value === 'string') parseInto(value, acc, only);
      else for (const v of value) parseInto(v, acc, only);
      fromHeaders = true;
    }
  }
  const source = fromQuery && fromHeaders ? 'both' : fromQuery ? 'query' : fromHeaders ? 'headers' : 'none';
  return { data: acc.data as CmcdData, other: acc.other, source, problems: acc.problems };
}

/** The CMCD query param of a URL's search string (`?a=1&CMCD=...`), decoded, or null. */
export function cmcdQueryParam(search: string): string | null {
  const q = search.startsWith('?') ? search.slice(1) : search;
  // The first `CMCD=` pair, as URLSearchParams.get finds it, without parsing every other pair.
  let at = q.startsWith('CMCD=') ? 0 : q.indexOf('&CMCD=') + 1;
  if (at === 0 && !q.startsWith('CMCD=')) return null;
  at += 5;
  const end = q.indexOf('&', at);
  const raw = end < 0 ? q.slice(at) : q.slice(at, end);
  const hasPlus = raw.includes('+');
  if (!hasPlus && !raw.includes('%')) return raw;
  try {
    return decodeURIComponent(hasPlus ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    // A malformed escape: URLSearchParams keeps such bytes as they are.
    return new URLSearchParams(`CMCD=${raw}`).get('CMCD');
  }
}

/**
 * The URL path and query without the CMCD param. CMCD differs on every request of every session, so a cache key that
 * kept it would make every request a miss (CTA-5004 §2.2 expects CDNs to ignore it for caching).
 */
export function withoutCmcdParam(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  if (q === -1 || !/(^|[?&])CMCD=/.test(pathAndQuery.slice(q))) return pathAndQuery;
  const kept = pathAndQuery
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '' && !pair.startsWith('CMCD='));
  return kept.length > 0 ? `${pathAndQuery.slice(0, q)}?${kept.join('&')}` : pathAndQuery.slice(0, q);
}
