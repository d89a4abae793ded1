import { runService } from '@cqrs-shop/lifecycle';
import { startProjectorService } from '@cqrs-shop/projector';
import { Redis } from 'ioredis';
import { RedisAnalyticsStore } from './adapters/redis-analytics-store.js';
import { RedisParkedAggregates } from './adapters/redis-parked-aggregates.js';
import { analyticsProjection } from './analytics-projection.js';
import { loadAnalyticsConfig } from './config.js';

void runService({
  name: 'projector-analytics',
  loadConfig: () => loadAnalyticsConfig(process.env),
  async start({ config, logger, lifecycle }) {
    const redis = new Redis(config.redis.url, { lazyConnect: true });
    await redis.connect();
    lifecycle.onStop('redis', async () => {
      await redis.quit();
    });
    await startProjectorService({
      name: 'analytics',
      reads: ['order', 'product'],
      projection: analyticsProjection(new RedisAnalyticsStore(redis, config.redis.keyPrefix)),
      parked: new RedisParkedAggregates(redis, config.redis.keyPrefix),
      readiness: {
        name: 'redis',
        check: async () => {
          await redis.ping();
        },
      },
      config,
      logger,
      lifecycle,
    });
  },
});
