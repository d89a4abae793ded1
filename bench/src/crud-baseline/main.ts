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
