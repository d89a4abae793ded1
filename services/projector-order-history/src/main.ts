// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { runService } from '@cqrs-shop/lifecycle';
import { startProjectorService } from '@cqrs-shop/projector';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { loadServiceConfig } from './config.js';
import { orderHistoryVersions } from '@cqrs-shop/read-models';
import { service } from '@cqrs-shop/service-registry';

const SERVICE = service('projector-order-history');

void runService({
  name: SERVICE.name,
  loadConfig: () => loadServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    const client = new MongoClient(config.mongodb.url, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    lifecycle.onStop('mongodb', () => client.close());
    const redis = new Redis(config.redis.url, { lazyConnect: true });
    await redis.connect();
    lifecycle.onStop('redis', async () => {
      await redis.quit();
    });
    const db = client.db(config.mongodb.database);
    await startProjectorService({
      ...SERVICE.projection,
      versions: orderHistoryVersions(db, { redis, keyPrefix: config.redis.keyPrefix }),
      readiness: {
        name: 'mongodb and redis',
        check: async () => {
          await Promise.all([db.command({ ping: 1 }), redis.ping()]);
        },
      },
      config,
      logger,
      lifecycle,
    });
  },
});
