import { type ConfigSection, type Rate, section, variable } from '@cqrs-shop/config';

export interface RateLimitSettings {
  /** Requests per caller (a token's subject); null: no limit. */
  readonly perCaller: Rate | null;
  /** Requests answered 401, per client address; null: no limit. */
  readonly unauthenticated: Rate | null;
  /** Reads of one caller waiting on consistency tokens at once, over every replica; 0: no cap. */
  readonly consistencyWaits: number;
  /** Proxies in front that add the client's address to `X-Forwarded-For`. */
  readonly trustedProxies: number;
}

/**
 * The budgets of one API: per caller for its own kind of request (`RATE_LIMIT_COMMANDS` or
 * `RATE_LIMIT_QUERIES`), per client address for requests without a valid token, and a cap on a
 * caller's concurrent consistency waits (the gateway's). Kept in Redis, so they hold across
 * replicas.
 */
export function rateLimitSection(kind: 'commands' | 'queries'): ConfigSection<RateLimitSettings> {
  const perCaller = kind === 'commands' ? 'RATE_LIMIT_COMMANDS' : 'RATE_LIMIT_QUERIES';
  return section(
    {
      /** e.g. `600/1m`; `off` for none. @default 600/1m (commands), 6000/1m (queries) */
      [perCaller]: variable.rate({
        default: { limit: kind === 'commands' ? 600 : 6_000, windowMs: 60_000 },
      }),
      /** @default 120/1m */
      RATE_LIMIT_UNAUTHENTICATED: variable.rate({ default: { limit: 120, windowMs: 60_000 } }),
      /** @default 8 */
      RATE_LIMIT_CONSISTENCY_WAITS: variable.integer({ min: 0, max: 100_000, default: 8 }),
      /** The Ingress controller in front: 1. @default 0 (the connection's address is the client's) */
      HTTP_TRUSTED_PROXIES: variable.integer({ min: 0, max: 10, default: 0 }),
    },
    (v) => ({
      perCaller: v[perCaller] as Rate | null,
      unauthenticated: v.RATE_LIMIT_UNAUTHENTICATED,
      consistencyWaits: v.RATE_LIMIT_CONSISTENCY_WAITS,
      trustedProxies: v.HTTP_TRUSTED_PROXIES,
    }),
  );
}
