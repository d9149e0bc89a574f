// CloudFront policy statements: the canned JSON rebuilt byte for byte, custom JSON parsed strictly, wildcards, CIDRs.
import ipaddr from 'ipaddr.js';

type IpAddr = ipaddr.IPv4 | ipaddr.IPv6;

/** A custom policy's decoded JSON may be at most this long; larger ones are refused unparsed. */
export const MAX_POLICY_BYTES = 6_144;
/** Epoch seconds beyond year 9999 are nonsense, and keep arithmetic far from float precision limits. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

/** One validated policy statement: times in epoch seconds, as CloudFront writes them. */
export interface Policy {
  /** URL pattern with `*` (any run of characters) and `?` (one character); undefined allows any URL. */
  readonly resource: string | undefined;
  readonly dateLessThan: number;
  readonly dateGreaterThan: number | undefined;
  readonly sourceIp: { readonly text: string; readonly range: readonly [IpAddr, number] } | undefined;
}

export interface PolicyInput {
  readonly resource: string;
  /** Epoch seconds or a Date; access ends at this instant. */
  readonly dateLessThan: number | Date;
  readonly dateGreaterThan?: number | Date | undefined;
  /** IPv4 or IPv6 address or CIDR; a bare address means just that address. */
  readonly ipAddress?: string | undefined;
}

function epochSeconds(t: number | Date): number {
  // Same rounding as @aws-sdk/cloudfront-signer, so both produce the same policy for the same Date.
  return t instanceof Date ? Math.round(t.getTime() / 1000) : t;
}

/** The canned policy CloudFront signs for `Expires` URLs and cookies: fixed key order, no whitespace. */
export function cannedPolicy(resource: string, expires: number): string {
  return JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
}

/** A custom policy in the key order AWS's signer writes. Throws on an invalid address or time. */
export function customPolicy(input: PolicyInput): string {
  const lessThan = epochSeconds(input.dateLessThan);
  if (!isEpoch(lessThan)) throw new Error(`policy dateLessThan "${String(input.dateLessThan)}" must be a valid time`);
  const condition: Record<string, unknown> = { DateLessThan: { 'AWS:EpochTime': lessThan } };
  if (input.dateGreaterThan !== undefined) {
    const greaterThan = epochSeconds(input.dateGreaterThan);
    if (!isEpoch(greaterThan)) throw new Error(`policy dateGreaterThan "${String(input.dateGreaterThan)}" must be a valid time`);
    condition['DateGreaterThan'] = { 'AWS:EpochTime': greaterThan };
  }
  if (input.ipAddress !== undefined) {
    const cidr = normalizeCidr(input.ipAddress);
    if (!cidr) throw new Error(`policy ipAddress "${input.ipAddress}" must be an IPv4 or IPv6 address or CIDR`);
    condition['IpAddress'] = { 'AWS:SourceIp': cidr };
  }
  return JSON.stringify({ Statement: [{ Resource: input.resource, Condition: condition }] });
}

function isEpoch(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_EPOCH_SECONDS;
}

function normalizeCidr(text: string): string | undefined {
  const withMask = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  // Only dotted-quad IPv4: ipaddr.js would also read "0x7f.1", which no policy author means.
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(withMask) || (withMask.includes(':') && ipaddr.IPv6.isValidCIDR(withMask))) return withMask;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): string | undefined {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  return extra === undefined ? undefined : `policy ${where} has unknown key "${extra}"`;
}

function epochCondition(v: unknown, name: string): number | string {
  if (!isRecord(v)) return `policy ${name} must be an object`;
  const extra = onlyKeys(v, ['AWS:EpochTime'], name);
  if (extra) return extra;
  const t = v['AWS:EpochTime'];
  return isEpoch(t) ? t : `policy ${name}.AWS:EpochTime must be an integer number of seconds`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a custom policy; a string return is the problem. Strict on purpose: an unknown condition is refused rather
 * than ignored, so a misspelt restriction never silently grants access.
 */
export function parsePolicy(bytes: Uint8Array): Policy | string {
  if (bytes.length > MAX_POLICY_BYTES) return `policy is longer than ${MAX_POLICY_BYTES} bytes`;
  let doc: unknown;
  try {
    doc = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return 'policy is not valid UTF-8 JSON';
  }
  if (!isRecord(doc)) return 'policy must be a JSON object';
  const top = onlyKeys(doc, ['Statement'], 'document');
  if (top) return top;
  const statements = doc['Statement'];
  // CloudFront accepts exactly one statement per policy.
  if (!Array.isArray(statements) || statements.length !== 1) return 'policy Statement must be an array of exactly one statement';
  const st: unknown = statements[0];
  if (!isRecord(st)) return 'policy statement must be an object';
  const stKeys = onlyKeys(st, ['Resource', 'Condition'], 'statement');
  if (stKeys) return stKeys;
  const resource = st['Resource'];
  if (resource !== undefined && (typeof resource !== 'string' || resource === '')) return 'policy Resource must be a non-empty string';
  const cond = st['Condition'];
  if (!isRecord(cond)) return 'policy Condition is required and must be an object';
  const condKeys = onlyKeys(cond, ['DateLessThan', 'DateGreaterThan', 'IpAddress'], 'Condition');
  if (condKeys) return condKeys;
  if (cond['DateLessThan'] === undefined) return 'policy Condition.DateLessThan is required';
  const lessThan = epochCondition(cond['DateLessThan'], 'DateLessThan');
  if (typeof lessThan === 'string') return lessThan;
  let greaterThan: number | undefined;
  if (cond['DateGreaterThan'] !== undefined) {
    const g = epochCondition(cond['DateGreaterThan'], 'DateGreaterThan');
    if (typeof g === 'string') return g;
    greaterThan = g;
  }
  let sourceIp: Policy['sourceIp'];
  if (cond['IpAddress'] !== undefined) {
    const ip = cond['IpAddress'];
    if (!isRecord(ip)) return 'policy IpAddress must be an object';
    const ipKeys = onlyKeys(ip, ['AWS:SourceIp'], 'IpAddress');
    if (ipKeys) return ipKeys;
    const text = ip['AWS:SourceIp'];
    const cidr = typeof text === 'string' ? normalizeCidr(text) : undefined;
    if (cidr === undefined) return 'policy IpAddress.AWS:SourceIp must be an IPv4 or IPv6 address or CIDR';
    sourceIp = { text: cidr, range: ipaddr.parseCIDR(cidr) };
  }
  return { resource: resource as string | undefined, dateLessThan: lessThan, dateGreaterThan: greaterThan, sourceIp };
}

/**
 * CloudFront's Resource wildcards: `*` matches any run of characters (also none), `?` exactly one. Linear in practice
 * (greedy with one backtrack point); only ever run on policies whose signature already verified.
 */
export function resourceMatches(pattern: string, url: string): boolean {
  let p = 0;
  let s = 0;
  let star = -1;
  let mark = 0;
  while (s < url.length) {
    const pc = pattern.charCodeAt(p);
    if (p < pattern.length && (pc === 63 /* ? */ || pc === url.charCodeAt(s))) {
      p++;
      s++;
    } else if (p < pattern.length && pc === 42 /* * */) {
      star = p++;
      mark = s;
    } else if (star !== -1) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/** True when the policy has no IP condition or `clientIp` lies in its range (IPv4-mapped IPv6 counts as IPv4). */
export function ipAllowed(policy: Policy, clientIp: string | undefined): boolean {
  if (!policy.sourceIp) return true;
  if (!clientIp || !ipaddr.isValid(clientIp)) return false;
  const addr = ipaddr.process(clientIp);
  const [net, bits] = policy.sourceIp.range;
  return addr.kind() === net.kind() && addr.match(net, bits);
}
