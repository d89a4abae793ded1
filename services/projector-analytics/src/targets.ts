import type { ProjectionTargets } from '@cqrs-shop/projector';
import { AnalyticsTargets } from '@cqrs-shop/read-models';
import type { Redis } from 'ioredis';
import { RedisAnalyticsStore } from './adapters/redis-analytics-store.js';
import { RedisParkedAggregates } from './adapters/redis-parked-aggregates.js';
import { analyticsProjection } from './analytics-projection.js';

/** The analytics projection: its name and the aggregate types whose topics it reads. */
export const ANALYTICS_PROJECTION = { name: 'analytics', reads: ['order', 'product'] } as const;

/** The versions of the analytics read model: key namespaces under one prefix. */
export function analyticsTargets(redis: Redis, keyPrefix: string): ProjectionTargets {
  return {
    catalog: new AnalyticsTargets(redis, keyPrefix),
    open: (version) => ({
      projection: analyticsProjection(new RedisAnalyticsStore(redis, keyPrefix, version)),
      parked: new RedisParkedAggregates(redis, keyPrefix, version),
    }),
  };
}
