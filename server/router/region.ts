// The viewer's region: a trusted header, then a query parameter, then a CIDR map of the client address, then a default.
import { existsSync, readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';

export type RegionSource = 'header' | 'query' | 'cidr' | 'default' | 'none';

export interface ViewerRegion {
  readonly region: string | undefined;
  readonly source: RegionSource;
}

export interface CidrRule {
  readonly cidr: string;
  readonly region: string;
}

export interface RegionOptions {
  /** Header set by a trusted front proxy (e.g. a GeoIP-aware load balancer); empty string disables it. */
  readonly header: string;
  /** Query parameter a viewer or a tester may set; empty string disables it. */
  readonly param: string;
  readonly cidrRules: readonly CidrRule[];
  readonly defaultRegion: string | undefined;
}

const REGION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Region names are compared lower-case; anything that is not a plain name is ignored rather than trusted. */
export function normalizeRegion(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string') return undefined;
  const trimmed = v.trim();
  return REGION_NAME.test(trimmed) ? trimmed.toLowerCase() : undefined;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class RegionResolver {
  private readonly header: string;
  private readonly param: string;
  private readonly defaultRegion: string | undefined;
  /** Longest prefix first, so a /24 inside a /8 wins. */
  private readonly ranges: Array<{ range: Range; region: string }>;

  constructor(opts: RegionOptions) {
    this.header = opts.header.toLowerCase();
    this.param = opts.param;
    this.defaultRegion = normalizeRegion(opts.defaultRegion);
    this.ranges = opts.cidrRules
      .map((r) => ({ range: ipaddr.parseCIDR(r.cidr), region: r.region.toLowerCase() }))
      .sort((a, b) => b.range[1] - a.range[1]);
  }

  resolve(input: { headers: Record<string, string | string[] | undefined>; query: Record<string, unknown>; ip: string | undefined }): ViewerRegion {
    if (this.header) {
      const region = normalizeRegion(input.headers[this.header]);
      if (region) return { region, source: 'header' };
    }
    if (this.param) {
      const region = normalizeRegion(input.query[this.param]);
      if (region) return { region, source: 'query' };
    }
    const byAddress = this.regionOfAddress(input.ip);
    if (byAddress) return { region: byAddress, source: 'cidr' };
    if (this.defaultRegion) return { region: this.defaultRegion, source: 'default' };
    return { region: undefined, source: 'none' };
  }

  regionOfAddress(ip: string | undefined): string | undefined {
    if (!ip || this.ranges.length === 0 || !ipaddr.isValid(ip)) return undefined;
    // ipaddr.process turns IPv4-mapped IPv6 (::ffff:10.0.0.1, what a dual-stack socket reports) back into IPv4.
    const addr = ipaddr.process(ip);
    for (const { range, region } of this.ranges) {
      if (addr.kind() === range[0].kind() && addr.match(range)) return region;
    }
    return undefined;
  }
}

/**
 * A CIDR map from inline text (`10.0.0.0/8=eu,2001:db8::/32=us`), a file of such pairs (one per line or
 * comma-separated, `=` or whitespace between, `#` comments), or a JSON object `{ "10.0.0.0/8": "eu" }`.
 * Throws naming the first bad entry.
 */
export function parseCidrMap(value: string): CidrRule[] {
  const trimmed = value.trim();
  if (trimmed === '') return [];
  const text = !trimmed.includes('=') && existsSync(trimmed) ? readFileSync(trimmed, 'utf8') : trimmed;
  if (text.trimStart().startsWith('{')) return parseJsonMap(text);
  const rules: CidrRule[] = [];
  for (const line of text.split('\n')) {
    for (const item of line.replace(/#.*$/, '').split(',')) {
      const entry = item.trim();
      if (entry === '') continue;
      const parts = (entry.includes('=') ? entry.split('=') : entry.split(/\s+/)).map((p) => p.trim());
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`CIDR map entry "${entry}" must be CIDR=REGION`);
      rules.push(checkRule(parts[0], parts[1]));
    }
  }
  return rules;
}

function parseJsonMap(text: string): CidrRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`CIDR map is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('CIDR map JSON must be an object of "CIDR": "region"');
  return Object.entries(parsed).map(([cidr, region]) => {
    if (typeof region !== 'string') throw new Error(`CIDR map entry "${cidr}" must map to a region name`);
    return checkRule(cidr, region);
  });
}

function checkRule(cidr: string, region: string): CidrRule {
  try {
    ipaddr.parseCIDR(cidr);
  } catch (err) {
    throw new Error(`CIDR map entry "${cidr}" is not a CIDR range such as 10.0.0.0/8`, { cause: err });
  }
  const name = normalizeRegion(region);
  if (!name) throw new Error(`CIDR map region "${region}" must be 1-64 of A-Z a-z 0-9 _ -`);
  return { cidr, region: name };
}
