// Refuses to send load anywhere but this machine unless the user says so: a load test aimed by mistake is an attack.
import ipaddr from 'ipaddr.js';
import { BadRequestError } from '../../server/core/errors.ts';

/** True for localhost, 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  // Only the name "localhost" itself: other names could resolve anywhere, and we do not resolve them here.
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(host)) return false;
  // process() turns ::ffff:127.0.0.1 into 127.0.0.1 so mapped addresses get the IPv4 rule.
  return ipaddr.process(host).range() === 'loopback';
}

/**
 * Throws unless `url` points at this machine or `allowRemote` is set. Every URL the tool requests goes through
 * this (playlists may name absolute URLs on other hosts), not only --target.
 */
export function assertLocalTarget(url: string, allowRemote: boolean, what = '--target'): void {
  if (allowRemote) return;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new BadRequestError(`${what} "${url}" is not a valid URL`, 'LOADTEST_BAD_URL');
  }
  if (!isLoopbackHost(host)) {
    throw new BadRequestError(
      `${what} "${url}" is not on this machine: load is only sent to localhost, 127.0.0.0/8 or ::1 unless --allow-remote is given`,
      'LOADTEST_REMOTE_TARGET',
    );
  }
}
