import { runService } from '@cqrs-shop/lifecycle';
import { startProjectorService } from '@cqrs-shop/projector';
import { MongoClient } from 'mongodb';
import { MongoOrderHistoryStore } from './adapters/mongo-order-history-store.js';
import { MongoParkedAggregates } from './adapters/mongo-parked-aggregates.js';
import { loadOrderHistoryConfig } from './config.js';
import { orderHistoryProjection } from './order-history-projection.js';

void runService({
  name: 'projector-order-history',
  loadConfig: () => loadOrderHistoryConfig(process.env),
  async start({ config, logger, lifecycle }) {
    const client = new MongoClient(config.mongodb.url, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    lifecycle.onStop('mongodb', () => client.close());
    const db = client.db(config.mongodb.database);
    const store = new MongoOrderHistoryStore(db);
    await store.ensureIndexes();
    await startProjectorService({
      name: 'order-history',
      reads: ['customer', 'order'],
      projection: orderHistoryProjection(store),
      parked: new MongoParkedAggregates(db),
      readiness: {
        name: 'mongodb',
        check: async () => {
          await db.command({ ping: 1 });
        },
      },
      config,
      logger,
      lifecycle,
    });
  },
});
