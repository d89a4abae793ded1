import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ER_DUP_ENTRY, mysqlErrorNumber } from './transactions.js';

/** What a command's transaction learns about its Idempotency-Key. */
export type IdempotencyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly statusCode: number; readonly body: unknown }
  | { readonly kind: 'mismatch' };

/**
 * Claims a key inside the command's transaction. The claim is a row insert: a concurrent
 * request with the same key blocks on that row until the first transaction ends, then either
 * finds the committed response (replay) or, if the first rolled back, claims the key itself.
 * So concurrent retries cause one effect.
 */
export async function claimIdempotencyKey(
  connection: PoolConnection,
  key: string,
  requestHash: string,
  ttlMs: number,
): Promise<IdempotencyClaim> {
  await connection.query(
    'DELETE FROM idempotency_keys WHERE idempotency_key = ? AND expires_at < UTC_TIMESTAMP(6)',
    [key],
  );
  try {
    await connection.query(
      `INSERT INTO idempotency_keys (idempotency_key, request_hash, status_code, response_body, created_at, expires_at)
       VALUES (?, ?, 0, '', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND)`,
      [key, requestHash, ttlMs * 1_000],
    );
    return { kind: 'claimed' };
  } catch (error) {
    if (mysqlErrorNumber(error) !== ER_DUP_ENTRY) throw error;
  }
  const [[row]] = await connection.query<RowDataPacket[]>(
    'SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE idempotency_key = ?',
    [key],
  );
  if (!row) throw new Error(`idempotency key ${key} vanished while it was being claimed`);
  if (row.request_hash !== requestHash) return { kind: 'mismatch' };
  return {
    kind: 'replay',
    statusCode: row.status_code as number,
    body: JSON.parse(row.response_body as string),
  };
}

/** Stores the response that retries with the same key will get. */
export async function recordIdempotentResponse(
  connection: PoolConnection,
  key: string,
  statusCode: number,
  body: unknown,
): Promise<void> {
  await connection.query(
    'UPDATE idempotency_keys SET status_code = ?, response_body = ? WHERE idempotency_key = ?',
    [statusCode, JSON.stringify(body), key],
  );
}

/** Deletes up to `limit` expired keys; returns how many went. */
export async function deleteExpiredIdempotencyKeys(pool: Pool, limit: number): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    'DELETE FROM idempotency_keys WHERE expires_at < UTC_TIMESTAMP(6) LIMIT ?',
    [limit],
  );
  return result.affectedRows;
}
