// Bearer tokens for admin endpoints on every role (RFC 6750 §2.1): one constant-time check, one middleware.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError, ForbiddenError } from './errors.ts';

/** Hashing both sides first gives equal lengths, so the comparison time says nothing about the token. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** The token of an `Authorization: Bearer …` header, if the header has that shape. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const m = typeof header === 'string' ? BEARER.exec(header) : null;
  return m?.[1];
}

export interface BearerRule {
  /** Undefined: the endpoints are disabled, 403 to everyone (never open because a setting was forgotten). */
  readonly expected: string | undefined;
  /** Stable error codes, e.g. EDGE_ADMIN_DISABLED and EDGE_UNAUTHORIZED. */
  readonly disabledCode: string;
  readonly disabledMessage: string;
  readonly unauthorizedCode: string;
  readonly realm: string;
}

/** 403 when no token is configured, 401 with WWW-Authenticate for a missing or wrong one. */
export function requireBearerToken(rule: BearerRule) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!rule.expected) {
      next(new ForbiddenError(rule.disabledMessage, rule.disabledCode));
      return;
    }
    const given = bearerTokenOf(req.headers.authorization);
    if (given === undefined || !tokenMatches(given, rule.expected)) {
      res.setHeader('WWW-Authenticate', `Bearer realm="${rule.realm}"`);
      next(new AppError(rule.unauthorizedCode, 401, 'a valid "Authorization: Bearer <token>" header is required'));
      return;
    }
    next();
  };
}
