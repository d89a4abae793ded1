import type { Redis } from 'ioredis';
import type { Projection, ProjectionVersions } from '../writing/contract.js';
import { storeProjection } from '../writing/store-projection.js';
import { AnalyticsVersions } from './catalog.js';
import { RedisParkedAggregates } from './parked.js';
import { RedisAnalyticsStore } from './store.js';

/** ioredis gives up on a command after its retries while the server is away. */
function isUnavailable(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'MaxRetriesPerRequestError' ||
      /ECONNREFUSED|Connection is closed|ETIMEDOUT|LOADING/.test(error.message))
  );
}

/**
 * The analytics read model as the projector runtime drives it: order events move the counters,
 * product events name the products of the top-products list.
 */
export function analyticsProjection(store: RedisAnalyticsStore): Projection {
  return storeProjection(store, 'Redis', isUnavailable);
}

/** The versions of the analytics read model: key namespaces under one prefix. */
export function analyticsVersions(redis: Redis, keyPrefix: string): ProjectionVersions {
  return {
    catalog: new AnalyticsVersions(redis, keyPrefix),
    open: (version) => ({
      projection: analyticsProjection(new RedisAnalyticsStore(redis, keyPrefix, version)),
      parked: new RedisParkedAggregates(redis, keyPrefix, version),
    }),
  };
}
