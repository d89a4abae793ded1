import { ShopError } from '@cqrs-shop/errors';
import { z } from 'zod';
import type { Variable } from './variables.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** One problem with one environment variable. */
export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

type Values<V extends Record<string, Variable<unknown>>> = { [K in keyof V]: z.output<V[K]> };

/** A group of environment variables and the typed settings made from them. */
export interface ConfigSection<T> {
  readonly parse: (
    env: Environment,
  ) => { settings: T; issues: readonly [] } | { issues: readonly ConfigIssue[] };
}

/**
 * Declares a section: its variables (keyed by environment variable name), how the parsed
 * values become camelCase settings, and optional checks for contradictions between them.
 */
export function section<V extends Record<string, Variable<unknown>>, T>(
  variables: V,
  build: (values: Values<V>) => T,
  contradictions: (values: Values<V>) => ConfigIssue[] = () => [],
): ConfigSection<T> {
  const schema = z.object(variables);
  return {
    parse(env) {
      const result = schema.safeParse(env);
      if (!result.success) {
        return {
          issues: result.error.issues.map((issue) => ({
            variable: String(issue.path[0]),
            message: issue.message,
          })),
        };
      }
      const values = result.data as Values<V>;
      const issues = contradictions(values);
      return issues.length > 0 ? { issues } : { settings: build(values), issues: [] };
    },
  };
}

export type ConfigOf<S extends Record<string, ConfigSection<unknown>>> = {
  [K in keyof S]: S[K] extends ConfigSection<infer T> ? T : never;
};

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|CREDENTIAL|KEY$/;

/** Thrown at start-up when the environment does not describe a valid configuration. */
export class ConfigError extends ShopError<'config.invalid'> {
  constructor(
    readonly issues: readonly ConfigIssue[],
    env: Environment,
  ) {
    const lines = issues.map(({ variable, message }) => {
      const raw = env[variable];
      const shown =
        raw === undefined || raw === ''
          ? ''
          : SECRET_NAME.test(variable)
            ? ' (value hidden)'
            : ` (got ${JSON.stringify(raw)})`;
      return `  ${variable} ${message}${shown}`;
    });
    super('config.invalid', `invalid configuration:\n${lines.join('\n')}`);
  }
}

/**
 * Parses every section against the environment and returns the typed settings, or throws a
 * {@link ConfigError} that lists every bad or missing variable at once.
 */
export function loadConfig<S extends Record<string, ConfigSection<unknown>>>(
  sections: S,
  env: Environment,
): ConfigOf<S> {
  const settings: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, configSection] of Object.entries(sections)) {
    const result = configSection.parse(env);
    if ('settings' in result) settings[name] = result.settings;
    else issues.push(...result.issues);
  }
  if (issues.length > 0) throw new ConfigError(issues, env);
  return settings as ConfigOf<S>;
}
