// Reads cache behaviors from a JSON or YAML file and validates them, reporting every problem with its place.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import { ConfigError } from '../core/errors.ts';
import { BEHAVIOR_DEFAULTS, DEFAULT_BEHAVIORS, MAX_PREFETCH_SEGMENTS, type AllowedMethods, type CacheBehavior, type QueryParamPolicy } from './behaviors.ts';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const requireHere = createRequire(import.meta.url);

/**
 * The schemas, built on first use: yaml and zod (~20 MB resident together) load only when a behaviors file is read,
 * so an edge on the built-in behaviors (and every edge's cluster primary) never carries them.
 */
function buildSchemas() {
  const z = requireHere('zod') as typeof Zod;
  /** Seconds as a number (CloudFront's unit), or a string with a unit: "500ms", "10s", "5m", "1h", "14d". */
  const duration = z.unknown().transform((v, ctx) => {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v * 1000);
    const m = typeof v === 'string' ? DURATION.exec(v.trim()) : null;
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected seconds (a number >= 0) or a duration such as "10s" or "14d", got ${JSON.stringify(v)?.slice(0, 40)}` });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000));
  });

  const QUERY_PARAM = /^[A-Za-z0-9._~-]{1,64}$/;
  const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
  /** Request headers that must never select a cached object: they differ per request, or the edge owns them. */
  const NEVER_KEY_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'cmcd-request', 'cmcd-object', 'cmcd-status', 'cmcd-session']);

  const fieldNames = (what: string, never?: ReadonlySet<string>) =>
    z.unknown().transform((v, ctx): string[] => {
      if (Array.isArray(v) && v.length <= 32 && v.every((p) => typeof p === 'string' && FIELD_NAME.test(p))) {
        const lower = v.map((p: string) => p.toLowerCase());
        const refused = never ? lower.filter((n) => never.has(n)) : [];
        if (refused.length === 0) return lower;
        ctx.addIssue({ code: 'custom', message: `${refused.join(', ')} cannot be part of a cache key` });
        return z.NEVER;
      }
      ctx.addIssue({ code: 'custom', message: `expected a list of up to 32 ${what} names, got ${JSON.stringify(v)?.slice(0, 60)}` });
      return z.NEVER;
    });

  /** CloudFront's three choices; "GET,HEAD", "GET, HEAD, OPTIONS" or a list, case-insensitive, or "all". */
  const allowedMethods = z.unknown().transform((v, ctx): AllowedMethods => {
    const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : undefined;
    const norm = list?.map((m) => String(m).trim().toUpperCase()).join(',');
    if (norm === 'ALL') return 'all';
    if (norm === 'GET,HEAD' || norm === 'HEAD,GET') return 'GET,HEAD';
    if (norm && ['GET', 'HEAD', 'OPTIONS'].every((m) => norm.split(',').includes(m)) && norm.split(',').length === 3) return 'GET,HEAD,OPTIONS';
    ctx.addIssue({ code: 'custom', message: `expected "GET,HEAD", "GET,HEAD,OPTIONS" or "all", got ${JSON.stringify(v)?.slice(0, 60)}` });
    return z.NEVER;
  });
  const PATH_PATTERN = /^[A-Za-z0-9._~\-/*?]{1,256}$/;

  const behaviorSchema = z
    .object({
      pathPattern: z.string().regex(PATH_PATTERN, 'expected a path pattern of letters, digits, / . _ ~ - and the wildcards * ?'),
      minTtl: duration.optional(),
      defaultTtl: duration.optional(),
      maxTtl: duration.optional(),
      staleWhileRevalidate: duration.optional(),
      staleIfError: duration.optional(),
      negativeTtl: duration.optional(),
      queryParams: z
        .unknown()
        .transform((v, ctx): QueryParamPolicy => {
          if (v === 'none' || v === 'all') return v;
          if (Array.isArray(v) && v.length <= 32 && v.every((p) => typeof p === 'string' && QUERY_PARAM.test(p))) return v as string[];
          ctx.addIssue({ code: 'custom', message: `expected "none", "all" or a list of up to 32 parameter names, got ${JSON.stringify(v)?.slice(0, 60)}` });
          return z.NEVER;
        })
        .optional(),
      bypass: z.boolean().optional(),
      targetDurationTtlFactor: z.number().positive().max(10).optional(),
      requireSignature: z.boolean().optional(),
      viewerProtocolPolicy: z.enum(['allow-all', 'redirect-to-https', 'https-only']).optional(),
      prefetchSegments: z.number().int().min(0).max(MAX_PREFETCH_SEGMENTS).optional(),
      allowedMethods: allowedMethods.optional(),
      keyHeaders: fieldNames('header', NEVER_KEY_HEADERS).optional(),
      keyCookies: z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'expected a cookie name')).max(32).optional(),
      originRequestHeaders: z.enum(['key', 'all']).optional(),
      stripResponseHeaders: fieldNames('header').optional(),
      /** One duration for every error status, or one per class. */
      errorTtl: z.union([duration, z.object({ clientError: duration.optional(), serverError: duration.optional() }).strict()]).optional(),
      cacheAuthorized: z.boolean().optional(),
      answerDeadline: duration.optional(),
      coldAnswerDeadline: duration.optional(),
    })
    .strict();

  const fileSchema = z
    .object({
      /** true (default): the file's behaviors come first, then the built-in ones; false: the file's list replaces them. */
      extendDefaults: z.boolean().optional(),
      behaviors: z.array(behaviorSchema).min(1).max(100),
    })
    .strict();
  return { behaviorSchema, fileSchema };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
const schemasNow = (): Schemas => (schemas ??= buildSchemas());

function toBehavior(raw: Zod.infer<Schemas['behaviorSchema']>, index: number, problems: string[]): CacheBehavior {
  const minTtlMs = raw.minTtl ?? BEHAVIOR_DEFAULTS.minTtlMs;
  const maxTtlMs = raw.maxTtl ?? Math.max(BEHAVIOR_DEFAULTS.maxTtlMs, minTtlMs);
  const defaultTtlMs = raw.defaultTtl ?? Math.min(Math.max(BEHAVIOR_DEFAULTS.defaultTtlMs, minTtlMs), maxTtlMs);
  const at = `behaviors[${index}]`;
  if (maxTtlMs < minTtlMs) problems.push(`${at}.maxTtl: must be >= minTtl (${minTtlMs / 1000}s), got ${maxTtlMs / 1000}s`);
  if (defaultTtlMs < minTtlMs || defaultTtlMs > maxTtlMs) {
    problems.push(`${at}.defaultTtl: must be between minTtl (${minTtlMs / 1000}s) and maxTtl (${maxTtlMs / 1000}s), got ${defaultTtlMs / 1000}s`);
  }
  const negativeTtlMs = raw.negativeTtl ?? BEHAVIOR_DEFAULTS.negativeTtlMs;
  // Without errorTtl, other errors follow the negative TTL when one is given (one knob for "cache failures").
  const errorDefault = raw.negativeTtl ?? BEHAVIOR_DEFAULTS.errorTtlMs.clientError;
  const e = raw.errorTtl;
  const errorTtlMs =
    typeof e === 'number'
      ? { clientError: e, serverError: e }
      : { clientError: e?.clientError ?? errorDefault, serverError: e?.serverError ?? (raw.negativeTtl ?? BEHAVIOR_DEFAULTS.errorTtlMs.serverError) };
  return {
    pathPattern: raw.pathPattern,
    minTtlMs,
    defaultTtlMs,
    maxTtlMs,
    staleWhileRevalidateMs: raw.staleWhileRevalidate ?? BEHAVIOR_DEFAULTS.staleWhileRevalidateMs,
    staleIfErrorMs: raw.staleIfError ?? BEHAVIOR_DEFAULTS.staleIfErrorMs,
    negativeTtlMs,
    queryParams: raw.queryParams ?? 'none',
    bypass: raw.bypass ?? false,
    targetDurationTtlFactor: raw.targetDurationTtlFactor,
    requireSignature: raw.requireSignature ?? false,
    viewerProtocolPolicy: raw.viewerProtocolPolicy ?? 'allow-all',
    prefetchSegments: raw.prefetchSegments,
    allowedMethods: raw.allowedMethods ?? BEHAVIOR_DEFAULTS.allowedMethods,
    keyHeaders: raw.keyHeaders ?? [],
    keyCookies: raw.keyCookies ?? [],
    originRequestHeaders: raw.originRequestHeaders ?? BEHAVIOR_DEFAULTS.originRequestHeaders,
    stripResponseHeaders: raw.stripResponseHeaders ?? BEHAVIOR_DEFAULTS.stripResponseHeaders,
    errorTtlMs,
    cacheAuthorized: raw.cacheAuthorized ?? false,
    ...(raw.answerDeadline !== undefined ? { answerDeadlineMs: raw.answerDeadline } : {}),
    ...(raw.coldAnswerDeadline !== undefined ? { coldAnswerDeadlineMs: raw.coldAnswerDeadline } : {}),
  };
}

function describePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(file)';
}

/** Validates a parsed document. `source` names the file in messages. */
export function behaviorsFromDocument(doc: unknown, source: string): CacheBehavior[] {
  const parsed = schemasNow().fileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${describePath(i.path)}: ${i.message}`));
  }
  const problems: string[] = [];
  const list = parsed.data.behaviors.map((b, i) => toBehavior(b, i, problems));
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p}`));
  return parsed.data.extendDefaults === false ? list : [...list, ...DEFAULT_BEHAVIORS];
}

/** Parses JSON or YAML text (by extension; YAML is a superset of JSON, so anything else is read as YAML). */
export function parseBehaviorsText(text: string, source: string): CacheBehavior[] {
  let doc: unknown;
  try {
    doc = source.endsWith('.json') ? JSON.parse(text) : (requireHere('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    throw new ConfigError([`${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`]);
  }
  return behaviorsFromDocument(doc, source);
}

export function loadBehaviorsFile(path: string): CacheBehavior[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`EDGE_BEHAVIORS_FILE (--behaviors): cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseBehaviorsText(text, path);
}
