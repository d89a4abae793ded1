import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createHttpApp, listen } from '@cqrs-shop/http';
import { createKafkaClients } from '@cqrs-shop/kafka';
import { runService } from '@cqrs-shop/lifecycle';
import { projectionRoutes, Projector } from '@cqrs-shop/projector';
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
    const kafka = createKafkaClients(config.kafka, logger);
    lifecycle.onStop('kafka clients', () => kafka.close());

    const topics = eventTopics(config.kafka.topicPrefix);
    const parked = new MongoParkedAggregates(db);
    const projector = new Projector({
      name: 'order-history',
      groupId: config.projector.groupId,
      topics: [topics.customer, topics.order],
      deadLetterTopic: deadLetterTopicFor('order-history', config.kafka.topicPrefix),
      kafka,
      logger,
      projection: orderHistoryProjection(store),
      parked,
      attempts: config.projector.attempts,
    });
    await projector.start();
    lifecycle.onStop('projector', () => projector.stop());

    const app = createHttpApp({
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      readiness: [
        {
          name: 'mongodb',
          check: async () => {
            await db.command({ ping: 1 });
          },
        },
      ],
      routes: projectionRoutes(projector, parked),
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'order-history projector listening');
  },
});
