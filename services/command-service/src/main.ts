// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { listen } from '@cqrs-shop/http';
import { runService } from '@cqrs-shop/lifecycle';
import { createMetricsRegistry } from '@cqrs-shop/telemetry';
import { purgeExpiredIdempotencyKeys } from './adapters/mysql/idempotency.js';
import { migrate } from './adapters/mysql/migrations.js';
import { createWriteModelPool } from './adapters/mysql/pool.js';
import { createCommandApi } from './app.js';
import { loadCommandServiceConfig } from './config.js';

void runService({
  name: 'command-service',
  loadConfig: () => loadCommandServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    if (config.commands.migrateOnStart) {
      const { host, port, user, password, database } = config.mysql;
      await migrate({ host, port, user, password, database }, logger);
    }
    const pool = createWriteModelPool(config.mysql, logger);
    lifecycle.onStop('mysql pool', () => pool.end());
    const app = createCommandApi({
      pool,
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      idempotencyTtlMs: config.commands.idempotencyTtlMs,
      metrics: createMetricsRegistry(),
    });
    // Expired keys are also replaced when reused; this keeps the table from growing without bound.
    const purge = setInterval(() => {
      void pool
        .getConnection()
        .then(async (connection) => {
          try {
            await purgeExpiredIdempotencyKeys(connection);
          } finally {
            connection.release();
          }
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'could not purge expired idempotency keys');
        });
    }, 600_000);
    purge.unref();
    lifecycle.onStop('idempotency key purge', () => {
      clearInterval(purge);
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'command API listening');
  },
});
