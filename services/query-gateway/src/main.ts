// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { Client as ElasticsearchClient, errors as elasticsearchErrors } from '@elastic/elasticsearch';
import { listen } from '@cqrs-shop/http';
import { runService } from '@cqrs-shop/lifecycle';
import { RateLimiter, RequestLimits } from '@cqrs-shop/rate-limit';
import { createMetricsRegistry } from '@cqrs-shop/telemetry';
import { SearchReader } from '@cqrs-shop/read-models';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { authenticationFor } from '@cqrs-shop/auth';
import { ConsistencyTokens } from '@cqrs-shop/events';
import { createQueryApi } from './app.js';
import { loadServiceConfig } from './config.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { fetchEventStage, fetchOutboxStatus } from '@cqrs-shop/outbox';
import { ProjectionStatusMonitor } from './projection-status.js';
import { ReaderDirectory } from './read-model-directory.js';
import { SearchVisibility } from './search-visibility.js';
import { StoreGuard } from './store-guard.js';

/** An Elasticsearch answer in the 4xx range is about the request, not the store's health. */
function isElasticsearchOutage(error: unknown): boolean {
  if (!(error instanceof elasticsearchErrors.ResponseError)) return true;
  const status = error.meta.statusCode ?? 500;
  return status >= 500 || status === 408 || status === 429;
}

void runService({
  name: 'query-gateway',
  loadConfig: () => loadServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    const { storeTimeoutMs } = config.gateway;
    // No store is awaited at start: the gateway serves what it can and reconnects on its own.
    const mongo = new MongoClient(config.mongodb.url, {
      serverSelectionTimeoutMS: storeTimeoutMs,
      connectTimeoutMS: storeTimeoutMs,
    });
    lifecycle.onStop('mongodb', () => mongo.close());
    // Connected in the background, so the first read does not pay for it within its time limit.
    mongo.connect().catch((error: unknown) => {
      logger.warn({ err: error }, 'MongoDB not reachable yet; reads will retry');
    });
    const es = new ElasticsearchClient({
      node: config.elasticsearch.url,
      requestTimeout: storeTimeoutMs,
      maxRetries: 0,
    });
    lifecycle.onStop('elasticsearch', () => es.close());
    const redis = new Redis(config.redis.url, {
      // The commands of every read in the same turn of the event loop leave in one write: a
      // sales read sends four, and a write per command was a quarter of the gateway's CPU time.
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      commandTimeout: storeTimeoutMs,
      maxRetriesPerRequest: 0,
    });
    redis.on('error', (error: Error) => {
      logger.debug({ err: error.message }, 'redis connection error');
    });
    lifecycle.onStop('redis', () => {
      redis.disconnect();
    });

    const monitor = new ProjectionStatusMonitor(config.services.projectors, {
      refreshMs: config.gateway.lagRefreshMs,
      // A projector answers its status within half a second even while its store is down.
      timeoutMs: 2_000,
      logger,
    });
    monitor.start();
    lifecycle.onStop('projection status', () => {
      monitor.stop();
    });

    const search = new SearchReader(es, config.elasticsearch.indexPrefix, 'live');
    const storeLimits = {
      timeoutMs: storeTimeoutMs,
      cooldownMs: config.gateway.storeCooldownMs,
      concurrency: config.gateway.storeConcurrency,
      queue: config.gateway.storeQueue,
    };
    const guards = {
      'order-history': new StoreGuard('order-history', storeLimits),
      search: new StoreGuard('search', storeLimits, isElasticsearchOutage),
      analytics: new StoreGuard('analytics', storeLimits),
    };
    const metricsRegistry = createMetricsRegistry();
    const limiter = RateLimiter.connect(config.redis.url, config.redis.keyPrefix, logger);
    lifecycle.onStop('rate limiter', () => {
      limiter.close();
    });
    const { api, admin } = createQueryApi({
      logger,
      authentication: authenticationFor(config.auth, logger),
      monitor,
      outbox: () => fetchOutboxStatus(config.services.relay, 2_000),
      eventStage: (aggregate, version) => fetchEventStage(config.services.relay, aggregate, version, 1_000),
      directory: new ReaderDirectory({
        mongo,
        mongoDatabase: config.mongodb.database,
        es,
        indexPrefix: config.elasticsearch.indexPrefix,
        redis,
        keyPrefix: config.redis.keyPrefix,
      }),
      defaultCurrency: config.gateway.defaultCurrency,
      traceSearchUrlTemplate: config.gateway.traceSearchUrlTemplate,
      guards,
      metricsRegistry,
      limits: new RequestLimits('queries', limiter, config.rateLimits, logger, metricsRegistry),
      trustedProxies: config.rateLimits.trustedProxies,
      metrics: new GatewayMetrics(metricsRegistry, { guards, monitor }),
      searchVisibility: new SearchVisibility(() => search.refresh()),
      consistency: {
        waitMs: config.gateway.consistencyWaitMs,
        maxWaitMs: config.gateway.consistencyMaxWaitMs,
        tokens: new ConsistencyTokens(config.consistencyTokens),
      },
    });
    const server = await listen(api, config.http, lifecycle);
    const adminServer = await listen(admin, config.http.admin, lifecycle);
    logger.info({ port: server.port, adminPort: adminServer.port }, 'query gateway listening');
  },
});
