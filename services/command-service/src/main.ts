import { createHttpApp, listen } from '@cqrs-shop/http';
import { runService } from '@cqrs-shop/lifecycle';
import { createPool } from 'mysql2/promise';
import { loadCommandServiceConfig } from './config.js';

void runService({
  name: 'command-service',
  loadConfig: () => loadCommandServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    const pool = createPool({
      host: config.mysql.host,
      port: config.mysql.port,
      user: config.mysql.user,
      password: config.mysql.password,
      database: config.mysql.database,
      connectionLimit: config.mysql.poolSize,
    });
    lifecycle.onStop('mysql pool', () => pool.end());

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
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'command API listening');
  },
});
