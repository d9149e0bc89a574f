// `edgeline sign`: a CloudFront-style signed URL, or signed cookies (values and Set-Cookie lines), from a private key.
import { readFileSync } from 'node:fs';
import { fields, loadConfig, parseDurationMs } from '../core/config.ts';
import { BadRequestError, ConfigError } from '../core/errors.ts';
import { cloudFrontBase64 } from '../edge/cloudfront/base64.ts';
import { customPolicy, MAX_POLICY_BYTES, parsePolicy } from '../edge/cloudfront/policy.ts';
import { signedCookieHeaders } from '../edge/cloudfront/signed-cookies.ts';
import { signCookies, signUrl, type Grant, type SigningKey } from '../edge/cloudfront/signer.ts';
import { wantsHelp } from './help.ts';

const USAGE =
  'edgeline sign <url> --key private.pem --key-pair-id ID (--expires <ISO date|epoch s|+duration> | --policy file.json) ' +
  '[--starts T] [--ip CIDR] [--resource PATTERN] [--cookies] [--hash sha1|sha256]';

export const signFields = {
  key: fields.optionalString('key', { env: 'CLOUDFRONT_PRIVATE_KEY_FILE', help: 'private key PEM file (RSA 2048+ or ECDSA P-256)' }),
  passphrase: fields.optionalString('passphrase', { env: 'CLOUDFRONT_KEY_PASSPHRASE', help: 'passphrase of an encrypted private key' }),
  keyPairId: fields.optionalString('key-pair-id', { env: 'CLOUDFRONT_KEY_PAIR_ID', help: 'id of the public key in the edge key group' }),
  expires: fields.optionalString('expires', { help: 'end of access: ISO date, epoch seconds, or +duration (+30m, +12h, +7d)' }),
  policy: fields.optionalString('policy', { help: 'custom policy JSON file (instead of --expires and friends)' }),
  starts: fields.optionalString('starts', { help: 'start of access (custom policy DateGreaterThan), same forms as --expires' }),
  ip: fields.optionalString('ip', { help: 'viewer address or CIDR allowed (custom policy IpAddress)' }),
  resource: fields.optionalString('resource', { help: 'policy Resource with * and ? wildcards, e.g. https://cdn.example.com/vod/abc/* (default: the URL)' }),
  cookies: fields.bool('cookies', false, { help: 'print signed cookies and Set-Cookie lines instead of a URL' }),
  hash: fields.oneOf('hash', 'sha1', ['sha1', 'sha256'] as const, { help: 'signature digest; sha256 adds Hash-Algorithm=SHA256' }),
  cookieDomain: fields.optionalString('cookie-domain', { help: 'Domain attribute of the Set-Cookie lines' }),
  cookiePath: fields.string('cookie-path', '/', { help: 'Path attribute of the Set-Cookie lines' }),
};

/** Epoch seconds from "2030-01-01T00:00:00Z", "1893456000" or "+12h" / "+7d" (relative to now). */
export function parseTime(text: string, nowMs: number): number {
  const t = text.trim();
  if (t.startsWith('+')) {
    const d = /^\+(\d+(?:\.\d+)?)d$/.exec(t);
    const ms = d ? Number(d[1]) * 86_400_000 : parseDurationMs(t.slice(1));
    return Math.round((nowMs + ms) / 1000);
  }
  if (/^\d{1,12}$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new Error(`expected an ISO date, epoch seconds or +duration, got "${text}"`);
  return Math.round(ms / 1000);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadRequestError(`cannot read ${what} ${path}: ${(err as Error).message}`, 'SIGN_FILE_UNREADABLE');
  }
}

export async function run(argv: string[], nowMs = Date.now()): Promise<number> {
  if (wantsHelp(argv, USAGE, signFields)) return 0;
  const { values: c, positionals } = loadConfig(signFields, process.env, argv, { positionals: { min: 0, max: 1, name: '<url>' } });
  const url = positionals[0];
  const problems: string[] = [];
  if (!c.key) problems.push('CLOUDFRONT_PRIVATE_KEY_FILE (--key): required');
  if (!c.keyPairId) problems.push('CLOUDFRONT_KEY_PAIR_ID (--key-pair-id): required');
  if ((c.expires === undefined) === (c.policy === undefined)) problems.push('--expires or --policy: exactly one is required');
  if (c.policy !== undefined && (c.starts ?? c.ip ?? c.resource) !== undefined) problems.push('--policy: cannot be combined with --starts, --ip or --resource');
  if (url === undefined && !(c.cookies && c.policy !== undefined)) problems.push('<url>: required (only --cookies --policy can do without)');
  if (url !== undefined && !/^https?:\/\/[^/?#]+\/\S*$/.test(url)) problems.push(`<url>: expected http(s)://host/path, got "${url}"`);
  const times: Record<string, number> = {};
  for (const [name, text] of [['expires', c.expires], ['starts', c.starts]] as const) {
    if (text === undefined) continue;
    try {
      times[name] = parseTime(text, nowMs);
    } catch (err) {
      problems.push(`--${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const key: SigningKey = {
    keyPairId: c.keyPairId ?? '',
    privateKey: readText(c.key ?? '', 'private key'),
    passphrase: c.passphrase,
    hash: c.hash === 'sha256' ? 'SHA256' : 'SHA1',
  };
  let grant: Grant;
  let endsAt: number;
  if (c.policy !== undefined) {
    const text = readText(c.policy, 'policy');
    // Compact (CloudFront wants no whitespace) and check it as the edge will, so we never sign a policy it refuses.
    let compact: string;
    try {
      compact = JSON.stringify(JSON.parse(text));
    } catch {
      throw new ConfigError([`--policy: ${c.policy} is not valid JSON`]);
    }
    const parsed = parsePolicy(Buffer.from(compact));
    if (typeof parsed === 'string') throw new ConfigError([`--policy: ${parsed}`]);
    grant = { policy: compact };
    endsAt = parsed.dateLessThan;
  } else {
    endsAt = times['expires'] ?? 0;
    const custom = c.starts !== undefined || c.ip !== undefined || c.resource !== undefined || (url ?? '').includes('*');
    if (custom) {
      try {
        grant = { policy: customPolicy({ resource: c.resource ?? url ?? '', dateLessThan: endsAt, dateGreaterThan: times['starts'], ipAddress: c.ip }) };
      } catch (err) {
        throw new ConfigError([(err as Error).message]);
      }
    } else {
      grant = { expires: endsAt };
    }
  }
  if (endsAt * 1000 <= nowMs) process.stderr.write(`edgeline sign: warning: access ends ${new Date(endsAt * 1000).toISOString()}, which is not in the future\n`);
  if ('policy' in grant && cloudFrontBase64.encode(grant.policy).length > (MAX_POLICY_BYTES / 3) * 4) {
    throw new ConfigError([`policy: longer than ${MAX_POLICY_BYTES} bytes, which edges refuse`]);
  }

  try {
    if (!c.cookies) {
      process.stdout.write(`${signUrl(url ?? '', grant, key)}\n`);
      return 0;
    }
    const cookies = signCookies(url ?? '', grant, key);
    const lines = Object.entries(cookies).map(([name, value]) => `${name}=${value}`);
    const headers = signedCookieHeaders(cookies, { domain: c.cookieDomain, path: c.cookiePath, expires: new Date(endsAt * 1000) });
    process.stdout.write(`${lines.join('\n')}\n\n${headers.map((h) => `Set-Cookie: ${h}`).join('\n')}\n`);
    return 0;
  } catch (err) {
    throw new BadRequestError(`cannot sign: ${(err as Error).message}`, 'SIGN_FAILED');
  }
}
