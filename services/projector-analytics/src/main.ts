import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createHttpApp, listen, parseInput } from '@cqrs-shop/http';
import { createKafkaClients } from '@cqrs-shop/kafka';
import { runService } from '@cqrs-shop/lifecycle';
import { Projector } from '@cqrs-shop/projector';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisAnalyticsStore } from './adapters/redis-analytics-store.js';
import { RedisParkedAggregates } from './adapters/redis-parked-aggregates.js';
import { analyticsProjection } from './analytics-projection.js';
import { loadAnalyticsConfig } from './config.js';

const redriveBody = z.strictObject({
  aggregate: z
    .string()
    .regex(/^(customer|product|order):[\x21-\x7e]{1,255}$/, 'must be <aggregate type>:<aggregate id>'),
});

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
      routes: (routes) => {
        routes.get('/projection', async (_req, res) => {
          res.json({ ...projector.status(), parked: await parked.list() });
        });
        // Once the cause of a parking is fixed: re-apply the aggregate's history and unpark it.
        routes.post('/projection/redrive', async (req, res) => {
          const { aggregate } = parseInput(redriveBody, req.body);
          const result = await projector.redrive(aggregate);
          res.status(result.redriven ? 200 : 409).json(result);
        });
      },
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'analytics projector listening');
  },
});
