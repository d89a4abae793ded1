// Runs the CRUD baseline (see app.ts) on MYSQL_* settings, on HTTP_PORT (0: a free one, printed).
import { listen } from '@cqrs-shop/http';
import { createLogger } from '@cqrs-shop/logging';
import { createPool } from 'mysql2/promise';
import { createCrudApi } from './app.js';

const setting = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set: the CRUD baseline needs it`);
  return value;
};

const logger = createLogger({ service: 'crud-baseline', level: 'warn' });
const pool = createPool({
  host: setting('MYSQL_HOST'),
  port: Number(setting('MYSQL_PORT', '3306')),
  user: setting('MYSQL_USER'),
  password: setting('MYSQL_PASSWORD'),
  database: setting('MYSQL_DATABASE'),
  // As many connections as the gateway lets calls reach one store at a time.
  connectionLimit: Number(setting('CRUD_POOL_SIZE', '16')),
  timezone: 'Z',
  supportBigNumbers: true,
});
// A statement running longer than this is stopped by the server, so that a reader who gave up
// does not leave it working on (MariaDB counts in seconds, MySQL 8 in ms, for SELECTs).
const statementTimeoutMs = Number(setting('CRUD_STATEMENT_TIMEOUT_MS', '10000'));
if (!(statementTimeoutMs > 0))
  throw new Error('CRUD_STATEMENT_TIMEOUT_MS must be a positive number of milliseconds');
pool.pool.on('connection', (connection) => {
  connection.query(
    `SET SESSION max_statement_time = ${statementTimeoutMs / 1_000}`,
    (mariadbError: unknown) => {
      if (!mariadbError) return;
      connection.query(
        `SET SESSION max_execution_time = ${Math.round(statementTimeoutMs)}`,
        (mysqlError: unknown) => {
          if (mysqlError) logger.warn({ err: mysqlError }, 'could not limit the time of statements');
        },
      );
    },
  );
});

async function main(): Promise<void> {
  const server = await listen(createCrudApi(pool, logger), {
    host: '127.0.0.1',
    port: Number(setting('HTTP_PORT', '0')),
  });
  console.log(JSON.stringify({ listening: server.port }));
  const stop = () => {
    void server
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
