import { createHttpApp, listen } from '@cqrs-shop/http';
import { runService } from '@cqrs-shop/lifecycle';
import { migrate } from './adapters/mysql/migrations.js';
import { createWriteModelPool } from './adapters/mysql/pool.js';
import { createCommandExecutor } from './application/execute.js';
import { loadCommandServiceConfig } from './config.js';
import { commandApiDocument } from './http/openapi.js';
import { refusalResponse } from './http/problems.js';
import { mountCommandRoutes } from './http/routes.js';

const VERSION = '0.1.0';

void runService({
  name: 'command-service',
  loadConfig: () => loadCommandServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    if (config.commands.migrateOnStart) await migrate(config.mysql, logger);
    const pool = createWriteModelPool(config.mysql, logger);
    lifecycle.onStop('mysql pool', () => pool.end());

    const executor = createCommandExecutor({
      pool,
      logger,
      refusal: refusalResponse,
      idempotencyTtlMs: config.commands.idempotencyTtlMs,
    });
    const openApi = commandApiDocument(VERSION);
    const app = createHttpApp({
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      readiness: [
        {
          name: 'mysql',
          check: async () => {
            await pool.query('SELECT 1');
          },
        },
      ],
      routes: (routes) => {
        routes.get('/openapi.json', (_req, res) => {
          res.json(openApi);
        });
        mountCommandRoutes(routes, executor);
      },
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'command API listening');
  },
});
