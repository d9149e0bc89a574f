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
 * Calls `fn` with the bounds of each entry (commas outside quoted strings separate them), without building the list:
 * an edge reads a few keys of each report and skips the rest. `fn` returns false to stop.
 */
function scanEntries(input: string, fn: (start: number, end: number) => boolean): void {
  const n = input.length;
  let start = 0;
  let i = 0;
  for (;;) {
    const comma = input.indexOf(',', i);
    const quote = input.indexOf('"', i);
    if (quote >= 0 && (comma < 0 || quote < comma)) {
      // Skip the quoted string (a backslash escapes the next character); an unterminated one runs to the end.
      let j = quote + 1;
      for (; j < n; j++) {
        const c = input.charCodeAt(j);
        if (c === 92) j++;
        else if (c === 34) break;
      }
      i = Math.min(j + 1, n);
      continue;
    }
    const end = comma < 0 ? n : comma;
    if (!fn(start, end) || comma < 0) return;
    start = i = end + 1;
  }
}

interface Item {
  readonly value: CmcdValue;
  /** An unquoted token rather than a quoted string: CTA-5004 says which of the two each key takes. */
  readonly isToken: boolean;
}

/** One RFC 8941 bare item (parameters after `;` are ignored), or undefined when it is none. */
function parseItem(raw: string): Item | undefined {
  const semicolon = raw.indexOf(';');
  const v = (semicolon < 0 ? raw : raw.slice(0, semicolon)).trim();
  if (v.startsWith('"')) {
    if (v.length < 2 || !v.endsWith('"')) return undefined;
    const inner = v.slice(1, -1);
    return { value: inner.includes('\\') ? inner.replace(/\\(["\\])/g, '$1') : inner, isToken: false };
  }
  if (v === '?1' || v === 'true') return { value: true, isToken: false };
  if (v === '?0' || v === 'false') return { value: false, isToken: false };
  if (INTEGER.test(v) || DECIMAL.test(v)) return { value: Number(v), isToken: false };
  if (TOKEN.test(v)) return { value: v, isToken: true };
  // Inner lists of later versions (`(1 2 3)`) are kept as their text.
  if (v.startsWith('(') && v.endsWith(')')) return { value: v, isToken: true };
  return undefined;
}

type Checked = { ok: true; value: CmcdValue } | { ok: false; problem: string };

function checkKnown(key: keyof CmcdData, item: Item): Checked {
  const rule = KEYS[key];
  const value = item.value;
  const fail = (what: string): Checked => ({ ok: false, problem: `${key}: expected ${what}` });
  switch (rule.kind) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? { ok: true, value } : fail('a non-negative integer');
    case 'decimal':
      return typeof value === 'number' && value >= 0 ? { ok: true, value } : fail('a non-negative decimal');
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : fail('a boolean');
    case 'token':
      return typeof value === 'string' && item.isToken && (rule.tokens ?? []).includes(value) ? { ok: true, value } : fail(`one of ${(rule.tokens ?? []).join(', ')}`);
    case 'string':
      if (typeof value !== 'string' || item.isToken) return fail('a quoted string');
      return rule.maxLength !== undefined && value.length > rule.maxLength ? fail(`at most ${rule.maxLength} characters`) : { ok: true, value };
  }
}

interface Accumulator {
  data: Record<string, CmcdValue>;
  other: Record<string, CmcdValue>;
  problems: string[];
}

function parseInto(input: string, acc: Accumulator, only: ReadonlySet<string> | undefined): void {
  if (input.length > MAX_INPUT) {
    acc.problems.push(`CMCD data longer than ${MAX_INPUT} characters ignored`);
    return;
  }
  let entries = 0;
  scanEntries(input, (start, end) => {
    const eqAt = input.indexOf('=', start);
    const eq = eqAt >= 0 && eqAt < end ? eqAt : -1;
    const key = input.slice(start, eq === -1 ? end : eq).trim();
    if (key === '' && eq === -1) return true; // an empty entry ("a,,b")
    if (++entries > MAX_ENTRIES) {
      acc.problems.push(`more than ${MAX_ENTRIES} CMCD entries; the rest ignored`);
      return false;
    }
    // Keys the caller does not read are skipped unparsed (and unjudged).
    if (only && !only.has(key)) return true;
    if (!KEY.test(key)) {
      acc.problems.push(`"${key.slice(0, 32)}": not a CMCD key`);
      return true;
    }
    // CTA-5004 §3.2: a boolean TRUE is sent as the bare key.
    const item: Item | undefined = eq === -1 ? { value: true, isToken: false } : parseItem(input.slice(eq + 1, end));
    if (item === undefined) {
      acc.problems.push(`${key}: unparsable value`);
      return true;
    }
    if (!isKnownKey(key)) {
      acc.other[key] = item.value;
      return true;
    }
    const checked = checkKnown(key, item);
    if (checked.ok) acc.data[key] = checked.value;
    else acc.problems.push(checked.problem);
    return true;
  });
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
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
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
