// Request methods per cache behavior (CloudFront's allowed methods) and which answers invalidate (RFC 9111 §4.4).
import type { AllowedMethods } from './behaviors.ts';

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;

export function isMethodAllowed(policy: AllowedMethods, method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  if (policy === 'GET,HEAD,OPTIONS') return method === 'OPTIONS';
  return policy === 'all' && METHOD.test(method);
}

export function allowHeaderOf(policy: AllowedMethods): string {
  return policy === 'all' ? 'GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE' : policy === 'GET,HEAD,OPTIONS' ? 'GET, HEAD, OPTIONS' : 'GET, HEAD';
}

/** GET and HEAD are looked up and stored; every other method goes to the origin as it is. */
export function isCacheableMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** RFC 9110 §9.2.1. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE';
}

/** RFC 9111 §4.4: a non-error answer (2xx, 3xx) to an unsafe method invalidates what is stored for the URL. */
export function invalidatesStored(method: string, status: number): boolean {
  return !isSafeMethod(method) && status >= 200 && status < 400;
}

/**
 * The paths §4.4 invalidates: the target's, and those of Location and Content-Location when they are on the same
 * host (a cache must not let one origin purge another's objects). `host` is the request's Host.
 */
export function invalidatedPaths(path: string, host: string | undefined, location: string | undefined, contentLocation: string | undefined): string[] {
  const out = [path];
  if (!host) return out;
  let base: URL;
  try {
    base = new URL(`http://${host}${path}`);
  } catch {
    return out;
  }
  for (const ref of [location, contentLocation]) {
    if (!ref) continue;
    let u: URL;
    try {
      u = new URL(ref, base);
    } catch {
      continue;
    }
    if (u.host === base.host && /^\/[\x21-\x7e]{0,2048}$/.test(u.pathname) && !out.includes(u.pathname)) out.push(u.pathname);
  }
  return out;
}
