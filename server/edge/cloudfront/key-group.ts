// A key group: the public keys, by id, that may sign viewer URLs and cookies; several at once so keys can rotate.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Field } from '../../core/config.ts';

/** CloudFront public key ids (K2JCJMDEHXQW5F, APKA…) and our own: short, URL-safe. */
export const KEY_PAIR_ID = /^[A-Za-z0-9_-]{1,128}$/;

function checkKey(id: string, key: KeyObject): void {
  if (!KEY_PAIR_ID.test(id)) throw new Error(`key pair id "${id}" must be 1-128 characters of A-Z a-z 0-9 _ -`);
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    // CloudFront accepts 2048-bit RSA keys; shorter ones are forgeable in practice.
    if ((details?.modulusLength ?? 0) < 2048) throw new Error(`key "${id}": RSA keys must have at least 2048 bits`);
    return;
  }
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return;
  throw new Error(`key "${id}": must be an RSA (>= 2048 bits) or ECDSA P-256 public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
}

export class KeyGroup {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  /** Parsed once at startup; each key is checked (type, size, id) and the first problem throws. */
  constructor(keys: Iterable<readonly [string, KeyObject]>) {
    const map = new Map<string, KeyObject>();
    for (const [id, key] of keys) {
      if (map.has(id)) throw new Error(`key pair id "${id}" appears twice in the key group`);
      // A private key also yields its public half; verification only ever uses that half.
      const pub = key.type === 'private' ? createPublicKey(key) : key;
      checkKey(id, pub);
      map.set(id, pub);
    }
    if (map.size === 0) throw new Error('a key group needs at least one public key');
    this.keys = map;
  }

  /** From PEM text (public key, certificate, or a private key whose public half is used) by id. */
  static fromPems(pems: Readonly<Record<string, string | Buffer>>): KeyGroup {
    return new KeyGroup(Object.entries(pems).map(([id, pem]) => [id, parsePem(id, pem)] as const));
  }

  /**
   * From `ID=SOURCE` entries, as in `--signing-key K1=keys/k1.pub.pem` or `EDGE_SIGNING_KEYS=K1=a.pem,K2=b.pem`.
   * SOURCE is a file path, inline PEM (`-----BEGIN…`, newlines may be written `\n`), or `base64:` + base64 of a PEM.
   */
  static load(entries: readonly string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): KeyGroup {
    const pems: Record<string, string> = {};
    for (const entry of entries) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new Error(`signing key "${entry.slice(0, 40)}" must be ID=FILE, ID=-----BEGIN… or ID=base64:…`);
      const id = entry.slice(0, eq).trim();
      const source = entry.slice(eq + 1).trim();
      if (Object.hasOwn(pems, id)) throw new Error(`key pair id "${id}" appears twice in the key group`);
      if (source.startsWith('-----BEGIN')) pems[id] = source.replace(/\\n/g, '\n');
      else if (source.startsWith('base64:')) pems[id] = Buffer.from(source.slice(7), 'base64').toString('utf8');
      else {
        try {
          pems[id] = readFile(source);
        } catch (err) {
          throw new Error(`key "${id}": cannot read ${source}: ${(err as Error).message}`, { cause: err });
        }
      }
    }
    return KeyGroup.fromPems(pems);
  }

  get(id: string): KeyObject | undefined {
    return this.keys.get(id);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  get size(): number {
    return this.keys.size;
  }
}

function parsePem(id: string, pem: string | Buffer): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new Error(`key "${id}": not a PEM public key, certificate or private key (${(err as Error).message})`, { cause: err });
  }
}

/**
 * The config field an edge adds to its spec: `--signing-key ID=FILE` (repeatable) or `EDGE_SIGNING_KEYS` (comma-separated).
 * Undefined when no keys are configured; a bad key fails startup with the other configuration problems.
 */
export function keyGroupField(flag = 'signing-key', env = 'EDGE_SIGNING_KEYS'): Field<KeyGroup | undefined> {
  return {
    flag,
    env,
    help: 'public key that may sign viewer URLs and cookies, ID=FILE.pem (repeat to rotate keys)',
    default: undefined,
    multiple: true,
    isSwitch: false,
    parse(raw) {
      const items = raw.flatMap((r) => r.split(',')).map((s) => s.trim()).filter(Boolean);
      return items.length === 0 ? undefined : KeyGroup.load(items);
    },
  };
}
