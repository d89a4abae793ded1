import { type Projection, storeProjection } from '@cqrs-shop/projector';
import type { RedisAnalyticsStore } from './adapters/redis-analytics-store.js';

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
