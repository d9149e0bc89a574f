// Errors with a stable code and an HTTP status: callers branch on `code`, never on message text.

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    status: number,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...(this.details ?? {}) };
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'BAD_REQUEST', details?: Record<string, unknown>) {
    super(code, 400, message, details ? { details } : {});
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, code = 'FORBIDDEN', details?: Record<string, unknown>) {
    super(code, 403, message, details ? { details } : {});
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code = 'NOT_FOUND') {
    super(code, 404, message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, code = 'PAYLOAD_TOO_LARGE') {
    super(code, 413, message);
  }
}

/** The upstream (origin, shield) failed: 502 for a bad answer, 504 for a timeout. */
export class UpstreamError extends AppError {
  constructor(code: string, status: 502 | 504, message: string, cause?: unknown) {
    super(code, status, message, { cause });
  }
}

/** ffmpeg or ffprobe failed; keeps the tail of stderr so the reason reaches the user. */
export class PackagingError extends AppError {
  readonly stderrTail: string;
  constructor(message: string, stderrTail = '', code = 'PACKAGING_FAILED', cause?: unknown) {
    super(code, 422, message, { cause });
    this.stderrTail = stderrTail;
  }
}

/** Configuration problems, all of them at once, each naming its variable or flag. */
export class ConfigError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', 500, `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
