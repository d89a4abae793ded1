// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { runService } from '@cqrs-shop/lifecycle';
import { startProjectorService } from '@cqrs-shop/projector';
import { Redis } from 'ioredis';
import { loadServiceConfig } from './config.js';
import { analyticsVersions } from '@cqrs-shop/read-models';
import { service } from '@cqrs-shop/service-registry';

const SERVICE = service('projector-analytics');

void runService({
  name: SERVICE.name,
  loadConfig: () => loadServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    const redis = new Redis(config.redis.url, { lazyConnect: true });
    await redis.connect();
    lifecycle.onStop('redis', async () => {
      await redis.quit();
    });
    await startProjectorService({
      ...SERVICE.projection,
      versions: analyticsVersions(redis, config.redis.keyPrefix),
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
