// Who the viewer is behind trusted proxies (--trust-proxy CIDR…): the right-most untrusted address, and the scheme it used.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/** Is this hop (the socket peer, then each X-Forwarded-For entry from the right) a proxy we trust to tell the truth? */
export type TrustProxy = (address: string, hop: number) => boolean;

export interface Viewer {
  readonly address: string;
  readonly isHttps: boolean;
  /** The Host the viewer asked for (what a signer signed): X-Forwarded-Host from a trusted peer, else Host. */
  readonly host: string | undefined;
}

/** A Host header is a name or an IP literal with an optional port (RFC 9110 §7.2). */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** A trusted-proxy list entry: an address or CIDR (IPv4 or IPv6); throws naming it otherwise. */
export function parseTrustProxyEntry(raw: string): string {
  const v = raw.trim();
  const [addr, bits, extra] = v.split('/');
  const ok = extra === undefined && addr !== undefined && ipaddr.isValid(addr) && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (ipaddr.parse(addr).kind() === 'ipv4' ? 32 : 128)));
  if (!ok) throw new Error(`expected an IP address or CIDR such as 10.0.0.0/8 or fd00::/8, got "${raw}"`);
  return v;
}

/** Undefined (trust nobody: the socket peer is the viewer) for an empty list, as by default. */
export function trustProxyOf(list: readonly string[]): TrustProxy | undefined {
  return list.length === 0 ? undefined : proxyaddr.compile([...list]);
}

/**
 * CloudFront-Viewer-Address is "IP:port" (IPv6 unbracketed, or bracketed): the address alone, or undefined.
 * Honoured only from a trusted peer, and only when it sends no X-Forwarded-For (whose chain is walked instead).
 */
function cloudFrontViewerAddress(raw: string | string[] | undefined): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim();
  const bracketed = /^\[([0-9A-Fa-f:.]+)\]:\d{1,5}$/.exec(v);
  const addr = bracketed ? bracketed[1] : v.replace(/:\d{1,5}$/, '');
  return addr !== undefined && ipaddr.isValid(addr) ? ipaddr.process(addr).toString() : undefined;
}

function firstValue(raw: string | string[] | undefined): string | undefined {
  const v = Array.isArray(raw) ? raw[0] : raw;
  return v?.split(',')[0]?.trim().toLowerCase();
}

/**
 * The viewer of a request. Without trusted proxies, the socket peer and the socket's own TLS. With them, X-Forwarded-For
 * is walked from the right, past every trusted hop, and the first untrusted address is the viewer (what proxy-addr and
 * Express do): a client can prepend anything, but cannot forge what a trusted proxy appended. The scheme comes from
 * CloudFront-Forwarded-Proto or X-Forwarded-Proto, and the host from X-Forwarded-Host, only when the peer itself is trusted.
 */
export function resolveViewer(req: IncomingMessage, trust: TrustProxy | undefined): Viewer {
  const peer = req.socket.remoteAddress ?? '';
  const isTls = (req.socket as TLSSocket).encrypted === true;
  const host = req.headers.host;
  if (!trust || !trust(peer, 0)) return { address: peer, isHttps: isTls, host };
  let address: string;
  if (req.headers['x-forwarded-for'] === undefined) address = cloudFrontViewerAddress(req.headers['cloudfront-viewer-address']) ?? peer;
  else address = proxyaddr(req, trust);
  const proto = firstValue(req.headers['cloudfront-forwarded-proto']) ?? firstValue(req.headers['x-forwarded-proto']);
  const forwardedHost = firstValue(req.headers['x-forwarded-host']);
  return { address, isHttps: proto === 'https' ? true : proto === 'http' ? false : isTls, host: forwardedHost !== undefined && HOST.test(forwardedHost) ? forwardedHost : host };
}
