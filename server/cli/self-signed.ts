// A self-signed certificate for local HTTPS (`edgeline up --tls`): made once, kept next to the media, renewed near expiry.
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface CertificatePair {
  readonly certPath: string;
  readonly keyPath: string;
  /** SHA-256 fingerprint, so a user can compare what the browser shows. */
  readonly fingerprint: string;
  readonly validTo: Date;
  /** False when an existing, still valid pair was reused. */
  readonly created: boolean;
}

const VALID_DAYS = 90;
/** A certificate closer than this to its end is replaced rather than reused. */
const RENEW_BEFORE_MS = 7 * 86_400_000;

/** The names a local browser or curl uses for this machine. */
const ALT_NAMES = [
  { type: 2 as const, value: 'localhost' },
  { type: 7 as const, ip: '127.0.0.1' },
  { type: 7 as const, ip: '::1' },
];

function readValid(certPath: string, keyPath: string, now: number): X509Certificate | undefined {
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    return Date.parse(cert.validTo) - now > RENEW_BEFORE_MS && cert.checkIP('127.0.0.1') !== undefined ? cert : undefined;
  } catch {
    return undefined; // unreadable or not a certificate: make a new one
  }
}

/**
 * The certificate and key in `dir` (edge-cert.pem, edge-key.pem), made when missing, unreadable or near expiry.
 * ECDSA P-256 with SHA-256, for localhost, 127.0.0.1 and ::1. Browsers still warn: it is self-signed, for local use.
 */
export async function ensureSelfSignedCertificate(dir: string, now = Date.now()): Promise<CertificatePair> {
  const certPath = join(dir, 'edge-cert.pem');
  const keyPath = join(dir, 'edge-key.pem');
  const existing = readValid(certPath, keyPath, now);
  if (existing) return { certPath, keyPath, fingerprint: existing.fingerprint256, validTo: new Date(existing.validTo), created: false };

  const notBeforeDate = new Date(now - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'edgeline local edge' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(now + VALID_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: ALT_NAMES },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so an interrupted run never leaves a key without its certificate.
  writeFileSync(`${keyPath}.tmp`, pems.private, { mode: 0o600 });
  chmodSync(`${keyPath}.tmp`, 0o600);
  writeFileSync(`${certPath}.tmp`, pems.cert);
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
  const cert = new X509Certificate(pems.cert);
  return { certPath, keyPath, fingerprint: cert.fingerprint256, validTo: new Date(cert.validTo), created: true };
}
