import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';

/**
 * Builders for single environment variables. Each one accepts the raw string, treats an
 * empty string as unset, applies its default, and explains a bad value in words that name
 * what was expected; the variable's name is added by {@link loadConfig}.
 */
export type Variable<T> = z.ZodType<T>;

interface Options<T> {
  /** Used when the variable is unset or empty; without it the variable is required. */
  default?: T;
}

function variable<T>(parse: z.ZodType<T, string>, options: Options<T>): Variable<T> {
  const present = z.string({ error: 'is required' }).pipe(parse);
  const fallback = options.default;
  const schema =
    fallback === undefined
      ? present
      : present.optional().transform((value) => (value === undefined ? fallback : value));
  return z.preprocess((raw) => (raw === '' ? undefined : raw), schema);
}

export function string(options: Options<string> = {}): Variable<string> {
  return variable(z.string().trim().min(1, 'must not be blank'), options);
}

export function integer(options: Options<number> & { min?: number; max?: number } = {}): Variable<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const hasMin = min > Number.MIN_SAFE_INTEGER;
  const hasMax = max < Number.MAX_SAFE_INTEGER;
  const range =
    hasMin && hasMax
      ? ` from ${min} to ${max}`
      : hasMin
        ? ` of at least ${min}`
        : hasMax
          ? ` of at most ${max}`
          : '';
  const message = `must be a whole number${range}`;
  return variable(
    z
      .string()
      .regex(/^\s*-?\d+\s*$/, message)
      .transform(Number)
      .pipe(z.number().int().min(min, message).max(max, message)),
    options,
  );
}

/** A TCP port; 0 asks the system for a free one. */
export function port(defaultPort?: number): Variable<number> {
  return integer({ min: 0, max: 65_535, ...(defaultPort === undefined ? {} : { default: defaultPort }) });
}

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** A duration such as `250ms`, `2s`, `5m` or `1h`; a bare number means milliseconds. Parsed to ms. */
export function duration(options: Options<number> & { max?: number } = {}): Variable<number> {
  const message = 'must be a duration such as 500ms, 2s, 5m or 1h';
  return variable(
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, message)
      .transform((text) => {
        const [, amount = '0', unit] = /^([\d.]+)([a-z]*)$/.exec(text) ?? [];
        const unitMs = unit ? DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS] : 1;
        return Math.round(Number(amount) * unitMs);
      })
      .pipe(z.number().max(options.max ?? Number.MAX_SAFE_INTEGER, `must be at most ${options.max ?? 0} ms`)),
    options,
  );
}

/** So many requests per window: `limit` of them within any `windowMs`. */
export interface Rate {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * A rate such as `600/1m` or `10/1s` (requests per duration), or `off` for no limit (null).
 * The duration takes the units of {@link duration}.
 */
export function rate(options: Options<Rate | null> = {}): Variable<Rate | null> {
  const message = 'must be a rate such as 600/1m (requests per duration) or off';
  return variable(
    z
      .string()
      .trim()
      .regex(/^(off|[1-9]\d{0,8}\/\d+(\.\d+)?(ms|s|m|h))$/, message)
      .transform((text) => {
        if (text === 'off') return null;
        const [, limit = '0', amount = '0', unit = 'ms'] = /^(\d+)\/([\d.]+)([a-z]+)$/.exec(text) ?? [];
        const windowMs = Math.round(
          Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS],
        );
        return { limit: Number(limit), windowMs };
      })
      .refine((value) => value === null || value.windowMs >= 1_000, 'must have a window of at least 1s'),
    options,
  );
}

/** The path of a file this process can read (checked at start, so a typo is named there). */
export function readableFile(options: Options<string> = {}): Variable<string> {
  return variable(
    z
      .string()
      .trim()
      .refine((path) => {
        try {
          accessSync(path, constants.R_OK);
          return statSync(path).isFile();
        } catch {
          return false;
        }
      }, 'must name a file that exists and can be read'),
    options,
  );
}

/** A comma-separated list of non-empty items. */
export function list(options: Options<string[]> = {}): Variable<string[]> {
  return variable(
    z
      .string()
      .transform((text) => text.split(',').map((item) => item.trim()))
      .pipe(z.array(z.string().min(1, 'must be a comma-separated list without empty items')).min(1)),
    options,
  );
}

export function url(options: Options<string> & { protocols: readonly string[] }): Variable<string> {
  const message = `must be a URL starting with ${options.protocols.map((p) => `${p}//`).join(' or ')}`;
  return variable(
    z
      .string()
      .trim()
      .refine((text) => {
        try {
          return options.protocols.includes(new URL(text).protocol);
        } catch {
          return false;
        }
      }, message),
    options,
  );
}

export function oneOf<const V extends readonly [string, ...string[]]>(
  values: V,
  options: Options<V[number]> = {},
): Variable<V[number]> {
  return variable(z.enum(values, { error: `must be one of ${values.join(', ')}` }), options);
}

export function boolean(options: Options<boolean> = {}): Variable<boolean> {
  return variable(
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
      .transform((text) => text === 'true' || text === '1' || text === 'yes'),
    options,
  );
}

/**
 * A secret key given as base64 (standard or URL-safe alphabet) of at least `minBytes` bytes,
 * e.g. from `openssl rand -base64 32`. Parsed to its bytes; an optional one is null when unset.
 */
export function base64Key(options: { minBytes: number; optional?: false }): Variable<Buffer>;
export function base64Key(options: { minBytes: number; optional: true }): Variable<Buffer | null>;
export function base64Key(options: { minBytes: number; optional?: boolean }): Variable<Buffer | null> {
  const message = `must be base64 of at least ${options.minBytes} random bytes (openssl rand -base64 ${options.minBytes})`;
  const parse = z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, message)
    .transform((text) => Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'))
    .refine((key) => key.length >= options.minBytes, message);
  return options.optional ? variable<Buffer | null>(parse, { default: null }) : variable(parse, {});
}
