// Typed, validated configuration from flags and environment variables (flags win), all problems reported together.
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.ts';

/** One setting: a flag, the environment variable behind it, a default and a parser that throws on bad input. */
export interface Field<T> {
  readonly flag: string;
  readonly env: string | undefined;
  readonly help: string;
  readonly default: T;
  /** Repeatable flag (`--edge a --edge b`); the environment variable is comma-separated. */
  readonly multiple: boolean;
  /** Boolean flags take no value. */
  readonly isSwitch: boolean;
  parse(raw: string[]): T;
}

export type Fields = Record<string, Field<unknown>>;
export type ValuesOf<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

type Opts = { env?: string; help?: string };

function field<T>(flag: string, def: T, parse: (raw: string[]) => T, opts: Opts, extra: Partial<Field<T>> = {}): Field<T> {
  return { flag, env: opts.env, help: opts.help ?? '', default: def, multiple: false, isSwitch: false, parse, ...extra };
}

function last(raw: string[]): string {
  return raw[raw.length - 1] ?? '';
}

export const fields = {
  string(flag: string, def: string, opts: Opts = {}): Field<string> {
    return field(flag, def, (raw) => last(raw), opts);
  },
  optionalString(flag: string, opts: Opts = {}): Field<string | undefined> {
    return field<string | undefined>(flag, undefined, (raw) => last(raw) || undefined, opts);
  },
  int(flag: string, def: number, opts: Opts & { min?: number; max?: number } = {}): Field<number> {
    return field(flag, def, (raw) => parseNumber(last(raw), { integer: true, min: opts.min, max: opts.max }), opts);
  },
  number(flag: string, def: number, opts: Opts & { min?: number; max?: number } = {}): Field<number> {
    return field(flag, def, (raw) => parseNumber(last(raw), { integer: false, min: opts.min, max: opts.max }), opts);
  },
  bool(flag: string, def: boolean, opts: Opts = {}): Field<boolean> {
    return field(flag, def, (raw) => parseBool(last(raw)), opts, { isSwitch: true });
  },
  oneOf<T extends string>(flag: string, def: T, choices: readonly T[], opts: Opts = {}): Field<T> {
    return field(flag, def, (raw) => {
      const v = last(raw);
      if (!(choices as readonly string[]).includes(v)) throw new Error(`expected one of ${choices.join(', ')}, got "${v}"`);
      return v as T;
    }, opts);
  },
  url(flag: string, def: string, opts: Opts = {}): Field<string> {
    return field(flag, def, (raw) => parseUrl(last(raw)), opts);
  },
  optionalUrl(flag: string, opts: Opts = {}): Field<string | undefined> {
    return field<string | undefined>(flag, undefined, (raw) => (last(raw) ? parseUrl(last(raw)) : undefined), opts);
  },
  /** A list: repeat the flag, or comma-separate values in the flag or the environment variable. */
  list(flag: string, def: readonly string[], opts: Opts & { item?: (s: string) => string } = {}): Field<readonly string[]> {
    return field<readonly string[]>(flag, def, (raw) => {
      const items = raw.flatMap((r) => r.split(',')).map((s) => s.trim()).filter(Boolean);
      return opts.item ? items.map(opts.item) : items;
    }, opts, { multiple: true });
  },
  /** Milliseconds from "250ms", "10s", "2m", "1h" or a bare number of milliseconds. */
  durationMs(flag: string, def: number, opts: Opts = {}): Field<number> {
    return field(flag, def, (raw) => parseDurationMs(last(raw)), opts);
  },
};

export function parseNumber(v: string, rule: { integer: boolean; min?: number | undefined; max?: number | undefined }): number {
  const n = Number(v);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (v.trim() === '' || !Number.isFinite(n) || (rule.integer && !Number.isInteger(n))) {
    throw new Error(`expected ${kind}, got "${v}"`);
  }
  if (rule.min !== undefined && n < rule.min) throw new Error(`expected ${kind} >= ${rule.min}, got "${v}"`);
  if (rule.max !== undefined && n > rule.max) throw new Error(`expected ${kind} <= ${rule.max}, got "${v}"`);
  return n;
}

export function parseBool(v: string): boolean {
  if (['1', 'true', 'yes', 'on', ''].includes(v.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
  throw new Error(`expected true or false, got "${v}"`);
}

export function parseUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`expected an http(s) URL, got "${v}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`expected an http(s) URL, got "${v}"`);
  return v.replace(/\/+$/, '');
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(v: string): number {
  const m = DURATION.exec(v.trim());
  if (!m) throw new Error(`expected a duration such as 500ms, 10s or 2m, got "${v}"`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1));
}

export interface Parsed<F extends Fields> {
  readonly values: ValuesOf<F>;
  readonly positionals: readonly string[];
}

/**
 * Reads `spec` from flags (argv) and the environment. Flags win over the environment, which wins over defaults.
 * Every problem is collected and thrown together as one ConfigError.
 */
export function loadConfig<F extends Fields>(
  spec: F,
  env: Record<string, string | undefined>,
  argv: readonly string[],
  opts: { positionals?: { min: number; max: number; name: string } } = {},
): Parsed<F> {
  const problems: string[] = [];
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const f of Object.values(spec)) {
    options[f.flag] = f.isSwitch ? { type: 'boolean' } : { type: 'string', multiple: f.multiple };
    if (f.isSwitch) options[`no-${f.flag}`] = { type: 'boolean' };
  }
  let parsedArgs: { values: Record<string, unknown>; positionals: string[] } = { values: {}, positionals: [] };
  try {
    parsedArgs = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    problems.push((err as Error).message.replace(/\. To specify.*$/s, ''));
  }
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec)) {
    const name = f.env ? `${f.env} (--${f.flag})` : `--${f.flag}`;
    const flagValue = parsedArgs.values[f.flag];
    const negated = parsedArgs.values[`no-${f.flag}`] === true;
    let raw: string[] | undefined;
    if (f.isSwitch && (flagValue === true || negated)) raw = [negated ? 'false' : 'true'];
    else if (Array.isArray(flagValue)) raw = flagValue.map(String);
    else if (typeof flagValue === 'string') raw = [flagValue];
    else if (f.env && env[f.env] !== undefined && env[f.env] !== '') raw = [env[f.env] ?? ''];
    if (raw === undefined) {
      out[key] = f.default;
      continue;
    }
    try {
      out[key] = f.parse(raw);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  const pos = parsedArgs.positionals;
  if (opts.positionals) {
    const { min, max, name } = opts.positionals;
    if (pos.length < min) problems.push(`${name}: required`);
    if (pos.length > max) problems.push(`unexpected arguments: ${pos.slice(max).join(' ')}`);
  } else if (pos.length > 0) {
    problems.push(`unexpected arguments: ${pos.join(' ')}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { values: Object.freeze(out) as ValuesOf<F>, positionals: pos };
}

/** Defaults of a spec, with overrides: what tests use instead of reading the environment. */
export function defaultsOf<F extends Fields>(spec: F, overrides: Partial<{ -readonly [K in keyof F]: ValuesOf<F>[K] }> = {}): ValuesOf<F> {
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec)) out[key] = f.default;
  return Object.freeze({ ...out, ...overrides }) as ValuesOf<F>;
}

/** `--help` text for a spec. */
export function helpText<F extends Fields>(usage: string, spec: F): string {
  const lines = [`usage: ${usage}`, ''];
  for (const f of Object.values(spec)) {
    const flag = f.isSwitch ? `--${f.flag}` : `--${f.flag} <v>`;
    const env = f.env ? ` [${f.env}]` : '';
    const shown = Array.isArray(f.default) ? f.default.join(',') : f.default === undefined ? '' : String(f.default);
    const def = shown === '' ? '' : ` (default: ${shown})`;
    lines.push(`  ${flag.padEnd(30)}${flag.length >= 30 ? '\n' + ' '.repeat(32) : ''}${f.help}${def}${env}`);
  }
  return lines.join('\n');
}
