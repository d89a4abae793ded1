import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createHttpApp, listen } from '@cqrs-shop/http';
import { createKafkaClients } from '@cqrs-shop/kafka';
import { runService } from '@cqrs-shop/lifecycle';
import { projectionRoutes, Projector } from '@cqrs-shop/projector';
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
    const kafka = createKafkaClients(config.kafka, logger);
    lifecycle.onStop('kafka clients', () => kafka.close());

    const parked = new RedisParkedAggregates(redis, config.redis.keyPrefix);
    const projector = new Projector({
      name: 'analytics',
      groupId: config.projector.groupId,
      topics: [eventTopics(config.kafka.topicPrefix).order],
      deadLetterTopic: deadLetterTopicFor('analytics', config.kafka.topicPrefix),
      kafka,
      logger,
      projection: analyticsProjection(new RedisAnalyticsStore(redis, config.redis.keyPrefix)),
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
          name: 'redis',
          check: async () => {
            await redis.ping();
          },
        },
      ],
      routes: projectionRoutes(projector, parked),
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'analytics projector listening');
  },
});
