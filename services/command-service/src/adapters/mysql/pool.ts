import type { Logger } from '@cqrs-shop/logging';
import { createPool, type Pool } from 'mysql2/promise';
import { mysqlConnection } from '@cqrs-shop/config';
import type { ConnectionSettings } from './migrations.js';

/**
 * The write model's connection pool. Sessions run at READ COMMITTED: commands lock the rows
 * they change explicitly (FOR UPDATE), and the weaker level avoids the gap locks behind most
 * insert deadlocks. Times are exchanged in UTC.
 */
export function createWriteModelPool(
  settings: ConnectionSettings & { poolSize: number },
  logger: Logger,
): Pool {
  const pool = createPool({
    ...mysqlConnection(settings),
    connectionLimit: settings.poolSize,
    timezone: 'Z',
    supportBigNumbers: true,
  });
  pool.pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (error: unknown) => {
      if (error) logger.error({ err: error }, 'could not set the isolation level');
    });
  });
  return pool;
}
