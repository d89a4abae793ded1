import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';

/** One command as received and how it ended. */
export interface AuditEntry {
  readonly commandId: string;
  readonly commandType: string;
  readonly aggregateType: string | null;
  readonly aggregateId: string | null;
  readonly actor: string | null;
  readonly remoteAddress: string | null;
  readonly userAgent: string | null;
  readonly correlationId: string;
  readonly idempotencyKey: string | null;
  readonly receivedAt: Date;
  /** `replayed`: an Idempotency-Key retry answered with the first response. */
  readonly outcome: 'accepted' | 'rejected' | 'replayed';
  readonly statusCode: number;
  readonly problemCode: string | null;
  readonly detail: string | null;
}

export async function recordAudit(connection: PoolConnection, entry: AuditEntry): Promise<void> {
  await connection.query(
    `INSERT INTO command_audit (command_id, command_type, aggregate_type, aggregate_id, actor, remote_address,
       user_agent, correlation_id, idempotency_key, received_at, outcome, status_code, problem_code, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      entry.commandId,
      entry.commandType,
      entry.aggregateType,
      entry.aggregateId,
      entry.actor?.slice(0, 200) ?? null,
      entry.remoteAddress?.slice(0, 64) ?? null,
      entry.userAgent?.slice(0, 300) ?? null,
      entry.correlationId,
      entry.idempotencyKey,
      entry.receivedAt,
      entry.outcome,
      entry.statusCode,
      entry.problemCode,
      entry.detail?.slice(0, 1_000) ?? null,
    ],
  );
}

/** Deletes up to `limit` audit rows of commands received more than `retentionMs` ago; returns how many went. */
export async function deleteAuditOlderThan(pool: Pool, retentionMs: number, limit: number): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    'DELETE FROM command_audit WHERE received_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND LIMIT ?',
    [retentionMs * 1_000, limit],
  );
  return result.affectedRows;
}
