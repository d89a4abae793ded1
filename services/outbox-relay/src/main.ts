// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { mysqlConnection } from '@cqrs-shop/config';
import { eventTopics } from '@cqrs-shop/events';
import { createHttpApp, listen, parseInput } from '@cqrs-shop/http';
import { createKafkaClients, ensureTopics, eventTopicSpec } from '@cqrs-shop/kafka';
import { runService, startSweeper } from '@cqrs-shop/lifecycle';
import { createMetricsRegistry } from '@cqrs-shop/telemetry';
import { createPool } from 'mysql2/promise';
import { z } from 'zod';
import { loadServiceConfig } from './config.js';
import { Leadership } from './leadership.js';
import { OutboxQuarantine } from '@cqrs-shop/outbox';
import { OutboxStore } from '@cqrs-shop/outbox';
import { RelayMetrics } from './relay-metrics.js';
import { OutboxRelay } from './relay.js';
import { RelayStats } from './stats.js';

const stageQuery = z.strictObject({
  aggregate: z
    .string()
    .regex(/^(customer|product|order):[\x21-\x7e]{1,255}$/, 'must be <aggregate type>:<aggregate id>'),
  version: z.coerce.number().int().min(1).max(2_147_483_647),
});

void runService({
  name: 'outbox-relay',
  loadConfig: () => loadServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    const pool = createPool({
      ...mysqlConnection(config.mysql),
      connectionLimit: Math.min(config.mysql.poolSize, 4),
      timezone: 'Z',
      supportBigNumbers: true,
    });
    lifecycle.onStop('mysql pool', () => pool.end());
    const kafka = createKafkaClients(config.kafka, logger);
    lifecycle.onStop('kafka clients', () => kafka.close());

    // Missing event topics are created here too (the deployments' topic job creates them first,
    // with the cluster's replication factor), so a development machine needs no extra step.
    const admin = kafka.admin();
    await admin.connect();
    const created = await ensureTopics(
      admin,
      Object.values(eventTopics(config.kafka.topicPrefix)).map((topic) =>
        eventTopicSpec(topic, config.relay.topicPartitions),
      ),
    );
    await admin.disconnect();
    if (created.length > 0) logger.info({ topics: created }, 'created topics');

    const store = new OutboxStore(pool);
    const quarantine = new OutboxQuarantine(pool);
    const stats = new RelayStats();
    const metrics = createMetricsRegistry();
    const leadership = new Leadership(config.mysql, logger);
    const relay = new OutboxRelay({
      store,
      quarantine,
      leadership,
      kafka,
      stats,
      metrics: new RelayMetrics(metrics, stats),
      logger,
      settings: { ...config.relay, topicPrefix: config.kafka.topicPrefix },
    });

    const stopping = new AbortController();
    const running = relay.run(stopping.signal);
    // Counted by every replica, so that whichever one answers /stats tells the truth.
    const housekeeping = setInterval(() => {
      void Promise.all([store.backlog(), quarantine.count()])
        .then(([backlog, quarantined]) => {
          stats.backlog = backlog.rows;
          stats.oldestUnpublishedAt = backlog.oldestAt;
          stats.quarantined = quarantined.rows;
          stats.backlogCountedAt = new Date();
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'could not count the backlog');
        });
    }, 1_000);
    // Only the leader deletes: the replicas would contend for the same rows.
    const sweeper = startSweeper({
      sweep: (limit) =>
        stats.leader ? store.purgePublished(config.relay.keepPublishedMs, limit) : Promise.resolve(0),
      everyMs: config.relay.sweepIntervalMs,
      budgetMs: 2_000,
      batchSize: 2_000,
      onRound: ({ deleted, unfinished }) => {
        if (unfinished)
          logger.warn({ deleted }, 'deleting published outbox rows fell behind; going on next round');
      },
      onError: (error) => {
        logger.warn({ err: error }, 'could not delete published outbox rows');
      },
    });
    // Registered before the HTTP server, so it is stopped after it: the last batch finishes.
    lifecycle.onStop('relay loop', async () => {
      clearInterval(housekeeping);
      await sweeper.stop();
      stopping.abort();
      await running;
    });

    const app = createHttpApp({
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      metrics,
      readiness: [
        {
          name: 'mysql',
          check: async () => {
            await pool.query('SELECT 1');
          },
        },
      ],
      routes: (routes) => {
        routes.get('/stats', (_req, res) => {
          res.json(stats.snapshot());
        });
        // Where a committed event is (the gateway asks when a consistency-token read times out).
        routes.get('/outbox/stage', async (req, res) => {
          const { aggregate, version } = parseInput(stageQuery, req.query, 'query');
          const at = aggregate.indexOf(':');
          const [type, id] = [aggregate.slice(0, at), aggregate.slice(at + 1)];
          res.json({ aggregate, version, stage: await store.stageOf(type, id, version) });
        });
      },
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'outbox relay listening');
  },
});
