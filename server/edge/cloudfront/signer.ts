// Signs CloudFront URLs and cookies (canned and custom policies, SHA-1 or SHA-256, RSA or ECDSA), as AWS's signer does.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { cloudFrontBase64 } from './base64.ts';
import { cannedPolicy } from './policy.ts';
import { awsCanonicalUrl } from './viewer-url.ts';

/** CloudFront's name for the digest: SHA1 is the default, SHA256 is sent as `Hash-Algorithm=SHA256`. */
export type HashAlgorithm = 'SHA1' | 'SHA256';

export interface SigningKey {
  readonly keyPairId: string;
  /** RSA or ECDSA P-256 private key: a KeyObject or PEM text. */
  readonly privateKey: KeyObject | string | Buffer;
  readonly passphrase?: string | undefined;
  readonly hash?: HashAlgorithm | undefined;
}

/** Either a canned policy (one exact URL until `expires`) or a custom policy's JSON text. */
export type Grant = { readonly expires: number | Date } | { readonly policy: string };

export const SIGNED_COOKIE_NAMES = [
  'CloudFront-Policy',
  'CloudFront-Expires',
  'CloudFront-Signature',
  'CloudFront-Key-Pair-Id',
  'CloudFront-Hash-Algorithm',
] as const;
export type SignedCookieName = (typeof SIGNED_COOKIE_NAMES)[number];
export type SignedCookies = Partial<Record<SignedCookieName, string>>;

export function digestName(hash: HashAlgorithm): 'sha1' | 'sha256' {
  return hash === 'SHA256' ? 'sha256' : 'sha1';
}

/** The CloudFront-base64 signature of `policy`: RSA PKCS#1 v1.5 or DER-encoded ECDSA over its SHA-1/SHA-256 digest. */
export function signPolicy(policy: string, key: SigningKey): string {
  const privateKey =
    typeof key.privateKey === 'string' || Buffer.isBuffer(key.privateKey)
      ? createPrivateKey({ key: key.privateKey, passphrase: key.passphrase })
      : key.privateKey;
  return cloudFrontBase64.encode(sign(digestName(key.hash ?? 'SHA1'), Buffer.from(policy, 'utf8'), privateKey));
}

function expiresSeconds(expires: number | Date): number {
  const s = expires instanceof Date ? Math.round(expires.getTime() / 1000) : expires;
  if (!Number.isSafeInteger(s) || s <= 0) throw new Error(`expires "${String(expires)}" must be a time after 1970`);
  return s;
}

function attributes(resource: string, grant: Grant, key: SigningKey): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if ('policy' in grant) {
    out.push(['Policy', cloudFrontBase64.encode(grant.policy)]);
    out.push(['Key-Pair-Id', key.keyPairId], ['Signature', signPolicy(grant.policy, key)]);
  } else {
    const expires = expiresSeconds(grant.expires);
    out.push(['Expires', String(expires)]);
    out.push(['Key-Pair-Id', key.keyPairId], ['Signature', signPolicy(cannedPolicy(resource, expires), key)]);
  }
  // Sent only for SHA-256, after the signature, as @aws-sdk/cloudfront-signer does; absence means SHA-1.
  if (key.hash === 'SHA256') out.push(['Hash-Algorithm', 'SHA256']);
  return out;
}

/**
 * A signed URL. The URL is first normalized as AWS's signer does (path segments and query re-encoded), so with an
 * RSA key the result is identical to @aws-sdk/cloudfront-signer's `getSignedUrl` for the same inputs.
 */
export function signUrl(url: string, grant: Grant, key: SigningKey): string {
  const base = awsCanonicalUrl(url);
  const params = attributes(base, grant, key)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${params}`;
}

/**
 * Signed cookie values (name → value) as `getSignedCookies` returns them. For a canned grant, `url` is the one URL
 * they open; for a custom policy `url` is ignored (the policy's Resource decides, usually a wildcard such as
 * `https://cdn.example.com/vod/abc/*`).
 */
export function signCookies(url: string, grant: Grant, key: SigningKey): SignedCookies {
  const cookies: SignedCookies = {};
  for (const [k, v] of attributes(url, grant, key)) cookies[`CloudFront-${k}` as SignedCookieName] = v;
  return cookies;
}
