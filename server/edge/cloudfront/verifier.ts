// Checks a viewer request's CloudFront signed URL or signed cookies against a key group; pure apart from `now`.
import { verify, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { cloudFrontBase64 } from './base64.ts';
import { KEY_PAIR_ID, type KeyGroup } from './key-group.ts';
import { cannedPolicy, ipAllowed, MAX_POLICY_BYTES, parsePolicy, resourceMatches, type Policy } from './policy.ts';
import { readSignedCookies } from './signed-cookies.ts';
import { digestName, type HashAlgorithm } from './signer.ts';
import { hasSignatureParams, splitSignatureParams } from './signature-params.ts';
import { parseViewerUrl, resourceCandidates } from './viewer-url.ts';

export const VERIFY_REASONS = ['missing', 'malformed', 'unknown-key', 'bad-signature', 'expired', 'not-yet-valid', 'ip-not-allowed'] as const;
export type VerifyReason = (typeof VERIFY_REASONS)[number];

export type VerifyResult =
  | { readonly ok: true; readonly via: 'url' | 'cookies'; readonly policy: 'canned' | 'custom'; readonly keyPairId: string }
  | { readonly ok: false; readonly reason: VerifyReason; readonly detail: string };

export interface ViewerRequest {
  /** Full URL as the viewer asked for it: scheme://host[:port] + the raw request target (path and query, not decoded). */
  readonly url: string;
  /** The Cookie header, or cookies already parsed into name → value. */
  readonly cookies?: string | Readonly<Record<string, string | undefined>> | undefined;
  /** The client's address (IPv4-mapped IPv6 is fine); needed only by policies with an IpAddress condition. */
  readonly clientIp?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

// A 4096-bit RSA signature is 684 base64 characters; a DER ECDSA P-256 one about 96.
const MAX_SIGNATURE_CHARS = 1_024;
const MAX_POLICY_CHARS = Math.ceil(MAX_POLICY_BYTES / 3) * 4;
const EXPIRES = /^\d{1,12}$/;

interface Credentials {
  readonly via: 'url' | 'cookies';
  readonly expires: string | undefined;
  readonly policy: string | undefined;
  readonly signature: string | undefined;
  readonly keyPairId: string | undefined;
  readonly hash: string | undefined;
}

function fail(reason: VerifyReason, detail: string): VerifyResult {
  return { ok: false, reason, detail };
}

/**
 * Verifies a signed URL, or failing any signature parameter in the URL, signed cookies (CloudFront uses the URL when
 * both are present). Order: shape (malformed) → key id (unknown-key) → signature and resource (bad-signature) →
 * time window (expired, not-yet-valid) → client address (ip-not-allowed); so a time or address reason is only ever
 * given for a policy we know was signed by a trusted key.
 */
export function verifyViewerRequest(req: ViewerRequest, keyGroup: KeyGroup): VerifyResult {
  const url = parseViewerUrl(req.url);
  if (typeof url === 'string') return fail('malformed', url);
  const split = splitSignatureParams(url.query);
  if (split.problem) return fail('malformed', split.problem);
  let creds: Credentials;
  if (hasSignatureParams(split)) {
    const p = split.params;
    creds = { via: 'url', expires: p.Expires, policy: p.Policy, signature: p.Signature, keyPairId: p['Key-Pair-Id'], hash: p['Hash-Algorithm'] };
  } else {
    const { cookies: c, problem } = readSignedCookies(req.cookies);
    if (problem) return fail('malformed', problem);
    if (Object.keys(c).length === 0) return fail('missing', 'no signed URL parameters or CloudFront cookies');
    creds = {
      via: 'cookies',
      expires: c['CloudFront-Expires'],
      policy: c['CloudFront-Policy'],
      signature: c['CloudFront-Signature'],
      keyPairId: c['CloudFront-Key-Pair-Id'],
      hash: c['CloudFront-Hash-Algorithm'],
    };
  }
  return verifyCredentials(creds, candidatesOf(url.origin, url.path, split.rest), req, keyGroup);
}

/**
 * The URLs a signature may cover. Players append CMCD (CTA-5004) to every request, including a signed playlist URL,
 * which would break a canned policy; CMCD never enters a cache key nor reaches the origin, so the URL without it
 * is also a candidate. Every other parameter stays covered.
 */
function candidatesOf(origin: string, path: string, rest: string): string[] {
  const all = resourceCandidates(origin, path, rest);
  const pairs = rest.split('&');
  const kept = pairs.filter((pair) => decodeName(pair) !== 'CMCD');
  return kept.length === pairs.length ? all : [...all, ...resourceCandidates(origin, path, kept.join('&'))];
}

function decodeName(pair: string): string {
  const eq = pair.indexOf('=');
  const name = eq < 0 ? pair : pair.slice(0, eq);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function verifyCredentials(c: Credentials, resources: readonly string[], req: ViewerRequest, keyGroup: KeyGroup): VerifyResult {
  const name = (param: string): string => (c.via === 'url' ? param : `CloudFront-${param}`);
  if (c.signature === undefined || c.keyPairId === undefined) {
    return fail('malformed', `${name('Signature')} and ${name('Key-Pair-Id')} are both required`);
  }
  if ((c.expires === undefined) === (c.policy === undefined)) {
    return fail('malformed', `exactly one of ${name('Expires')} and ${name('Policy')} is required`);
  }
  let hash: HashAlgorithm = 'SHA1';
  if (c.hash !== undefined) {
    if (c.hash !== 'SHA1' && c.hash !== 'SHA256') return fail('malformed', `${name('Hash-Algorithm')} must be SHA1 or SHA256`);
    hash = c.hash;
  }
  if (!KEY_PAIR_ID.test(c.keyPairId)) return fail('malformed', `${name('Key-Pair-Id')} must be 1-128 characters of A-Z a-z 0-9 _ -`);
  const signature = cloudFrontBase64.decode(c.signature, MAX_SIGNATURE_CHARS);
  if (!signature) return fail('malformed', `${name('Signature')} must be CloudFront base64 of at most ${MAX_SIGNATURE_CHARS} characters`);

  let policy: Policy;
  let signed: Buffer[];
  if (c.expires !== undefined) {
    if (!EXPIRES.test(c.expires)) return fail('malformed', `${name('Expires')} must be whole seconds since the epoch`);
    const expires = Number(c.expires);
    policy = { resource: undefined, dateLessThan: expires, dateGreaterThan: undefined, sourceIp: undefined };
    // A canned policy names the URL itself, so the signature is checked against each form the URL may have had.
    signed = resources.map((r) => Buffer.from(cannedPolicy(r, expires), 'utf8'));
  } else {
    const bytes = cloudFrontBase64.decode(c.policy ?? '', MAX_POLICY_CHARS);
    if (!bytes) return fail('malformed', `${name('Policy')} must be CloudFront base64 of at most ${MAX_POLICY_CHARS} characters`);
    const parsed = parsePolicy(bytes);
    if (typeof parsed === 'string') return fail('malformed', parsed);
    policy = parsed;
    signed = [bytes];
  }

  const key = keyGroup.get(c.keyPairId);
  if (!key) return fail('unknown-key', `${name('Key-Pair-Id')} "${c.keyPairId}" is not in the key group`);
  const expiresAtMs = policy.dateLessThan * 1000;
  if (!signed.some((data) => verifiedBefore(key, hash, data, c.signature ?? '', signature, expiresAtMs - req.now))) {
    return fail('bad-signature', `${name('Signature')} does not match the ${c.expires !== undefined ? 'URL' : 'policy'} for key "${c.keyPairId}"`);
  }
  if (policy.resource !== undefined && !resources.some((r) => resourceMatches(policy.resource ?? '', r))) {
    return fail('bad-signature', 'the policy Resource does not cover this URL');
  }
  if (req.now >= policy.dateLessThan * 1000) return fail('expired', `the signature expired at ${new Date(policy.dateLessThan * 1000).toISOString()}`);
  if (policy.dateGreaterThan !== undefined && req.now < policy.dateGreaterThan * 1000) {
    return fail('not-yet-valid', `the signature is valid from ${new Date(policy.dateGreaterThan * 1000).toISOString()}`);
  }
  if (!ipAllowed(policy, req.clientIp)) return fail('ip-not-allowed', `client address is outside ${policy.sourceIp?.text ?? ''}`);
  return { ok: true, via: c.via, policy: c.expires !== undefined ? 'canned' : 'custom', keyPairId: c.keyPairId };
}

/**
 * Signatures that verified, per key, until their policy expires: RSA verification is the dearest step of a signed
 * request, and a player sends the same signed URL or cookies with every request of a session. Only successes are
 * kept (a forged signature costs its sender a verification every time), a bounded number of them, and never past
 * the policy's end (the time checks after this one still run on every request).
 */
const verified = new WeakMap<KeyObject, LRUCache<string, true>>();
const MAX_REMEMBERED = 4_096;

function verifiedBefore(key: KeyObject, hash: HashAlgorithm, data: Buffer, signatureText: string, signature: Buffer, validForMs: number): boolean {
  let seen = verified.get(key);
  if (!seen) {
    seen = new LRUCache<string, true>({ max: MAX_REMEMBERED });
    verified.set(key, seen);
  }
  const id = `${hash}\n${signatureText}\n${data.toString('latin1')}`;
  if (seen.get(id)) return true;
  if (!signatureValid(key, hash, data, signature)) return false;
  if (validForMs > 0) seen.set(id, true, { ttl: Math.min(validForMs, 24 * 3_600_000) });
  return true;
}

function signatureValid(key: KeyObject, hash: HashAlgorithm, data: Buffer, signature: Buffer): boolean {
  try {
    if (key.asymmetricKeyType === 'ec' && signature.length === 64) {
      // Raw r||s (IEEE P1363) as some non-AWS signers write ECDSA; AWS's signer and OpenSSL write DER.
      return verify(digestName(hash), data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return verify(digestName(hash), data, key, signature);
  } catch {
    return false;
  }
}
