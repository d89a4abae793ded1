// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { authenticationFor } from '@cqrs-shop/auth';
import { ConsistencyTokens } from '@cqrs-shop/events';
import { listen } from '@cqrs-shop/http';
import { runService, startSweeper } from '@cqrs-shop/lifecycle';
import { RateLimiter, RequestLimits } from '@cqrs-shop/rate-limit';
import { createMetricsRegistry } from '@cqrs-shop/telemetry';
import { deleteAuditOlderThan } from './adapters/mysql/audit.js';
import { deleteExpiredIdempotencyKeys } from './adapters/mysql/idempotency.js';
import { migrate } from './adapters/mysql/migrations.js';
import { createWriteModelPool } from './adapters/mysql/pool.js';
import { createCommandApi } from './app.js';
import { loadServiceConfig } from './config.js';

/** Rows per DELETE, and the time a sweep round may take: short locks, and the service keeps most of MySQL. */
const SWEEP_BATCH = 2_000;
const SWEEP_BUDGET_MS = 2_000;

void runService({
  name: 'command-service',
  loadConfig: () => loadServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    if (config.commands.migrateOnStart) {
      await migrate(config.mysql, logger);
    }
    const pool = createWriteModelPool(config.mysql, logger);
    lifecycle.onStop('mysql pool', () => pool.end());
    const registry = createMetricsRegistry();
    const limiter = RateLimiter.connect(config.redis.url, config.redis.keyPrefix, logger);
    lifecycle.onStop('rate limiter', () => {
      limiter.close();
    });
    const limits = new RequestLimits('commands', limiter, config.rateLimits, logger, registry);
    const { api, admin } = createCommandApi({
      pool,
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      idempotencyTtlMs: config.commands.idempotencyTtlMs,
      authentication: authenticationFor(config.auth, logger),
      consistencyTokens: new ConsistencyTokens(config.consistencyTokens),
      metrics: registry,
      limits,
      trustedProxies: config.rateLimits.trustedProxies,
    });
    // Expired keys are also replaced when reused; the sweep keeps the table from growing without bound.
    const sweepers = [
      retentionSweeper('expired idempotency keys', (limit) => deleteExpiredIdempotencyKeys(pool, limit)),
      ...(config.commands.auditRetentionMs > 0
        ? [
            retentionSweeper('audit rows past their retention', (limit) =>
              deleteAuditOlderThan(pool, config.commands.auditRetentionMs, limit),
            ),
          ]
        : []),
    ];
    function retentionSweeper(what: string, sweep: (limit: number) => Promise<number>) {
      return startSweeper({
        sweep,
        everyMs: config.commands.sweepIntervalMs,
        budgetMs: SWEEP_BUDGET_MS,
        batchSize: SWEEP_BATCH,
        onRound: ({ deleted, unfinished }) => {
          if (unfinished) logger.warn({ deleted }, `deleting ${what} fell behind; going on next round`);
        },
        onError: (error) => {
          logger.warn({ err: error }, `could not delete ${what}`);
        },
      });
    }
    lifecycle.onStop('retention sweepers', async () => {
      await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
    });
    const server = await listen(api, config.http, lifecycle);
    const adminServer = await listen(admin, config.http.admin, lifecycle);
    logger.info({ port: server.port, adminPort: adminServer.port }, 'command API listening');
  },
});
