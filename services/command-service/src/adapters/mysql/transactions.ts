import { setTimeout as delay } from 'node:timers/promises';
import type { Pool, PoolConnection } from 'mysql2/promise';

/** MySQL error numbers after which the same transaction may succeed when run again. */
const RETRIABLE_ERRORS = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
]);

export function mysqlErrorNumber(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'errno' in error && typeof error.errno === 'number'
    ? error.errno
    : undefined;
}

export const ER_DUP_ENTRY = 1062;

/** Client-side codes of a connection that could not be made or was lost. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/**
 * Whether MySQL could not be reached or went away: nothing in the request says the command is
 * wrong, and the same request may pass a moment later (unlike a refusal, it is not remembered
 * for its Idempotency-Key). A commit cut off this way may or may not have happened.
 */
export function isWriteModelUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, fatal } = error as { code?: unknown; fatal?: unknown };
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || fatal === true;
}

/**
 * Runs `work` in one transaction on one pooled connection: commit when it resolves, roll back
 * when it throws. A deadlock or lock-wait timeout runs the whole transaction again (with a
 * short random pause) up to `attempts` times, since InnoDB picks a victim and the retry
 * usually passes.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (connection: PoolConnection) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      const errno = mysqlErrorNumber(error);
      if (errno === undefined || !RETRIABLE_ERRORS.has(errno) || attempt >= attempts) throw error;
      await delay(Math.random() * 20 * attempt);
    } finally {
      connection.release();
    }
  }
}
