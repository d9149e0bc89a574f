// CORS for players on other origins: public media, readable headers, and preflight answers (Fetch standard, CORS protocol).
import type { NextFunction, Request, Response } from 'express';

/** Headers a player's script may read: sizes and ranges for buffering, validators, and what the edges add. */
export const EXPOSED_HEADERS = [
  'Content-Length', 'Content-Range', 'Content-Type', 'Accept-Ranges', 'ETag', 'Last-Modified', 'Cache-Control',
  'Age', 'Date', 'Via', 'X-Cache', 'X-Cache-Tier', 'X-Request-Id', 'Server-Timing',
].join(', ');
const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const DEFAULT_ALLOWED_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range, If-Match, Cache-Control, Pragma';
// A comma-separated list of header names (RFC 9110 §5.1 tokens); anything else is not echoed back.
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const PREFLIGHT_MAX_AGE_SECONDS = '86400';

/** Media is public and never read with credentials, so `*` is right and no Origin needs echoing. */
export function mediaCors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  if (req.method !== 'OPTIONS') {
    next();
    return;
  }
  res.setHeader('Allow', ALLOWED_METHODS);
  if (req.headers['access-control-request-method'] !== undefined) {
    const asked = req.headers['access-control-request-headers'];
    // Players add headers such as CMCD-* (CTA-5004) or a session id; any well-formed name is allowed for GET of public media.
    const allowed = typeof asked === 'string' && HEADER_LIST.test(asked.trim()) ? asked.trim() : DEFAULT_ALLOWED_HEADERS;
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', allowed);
    res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
    res.setHeader('Vary', 'Access-Control-Request-Headers');
  }
  res.setHeader('Cache-Control', 'public, max-age=86400');
  res.status(204).end();
}
