import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { eventFieldsOf, OUTBOX_COLUMNS } from './quarantine.js';
import type { EventStage } from './status.js';

/** One committed event waiting in the outbox. */
export interface OutboxRow {
  readonly position: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly aggregateVersion: number;
  readonly schemaFingerprint: string;
  readonly payload: Buffer;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly traceparent: string | null;
  readonly occurredAt: Date;
  /** The quarantined row of the same aggregate this one must wait behind; null when none. */
  readonly heldBehind: number | null;
}

/** The batch being sent: each row's topic and partition. */
export interface SendIntent {
  readonly rows: readonly { position: number; topic: string; partition: number }[];
}

/** The write model's table of each aggregate type. */
const AGGREGATE_TABLES: Readonly<Record<string, string>> = {
  customer: 'customers',
  product: 'products',
  order: 'orders',
};

/** The relay's queries against the write model's outbox tables. */
export class OutboxStore {
  constructor(private readonly pool: Pool) {}

  /**
   * The oldest unpublished rows, in commit order per aggregate (see the outbox migration), each
   * with the quarantined row of its aggregate it must wait behind, if any.
   */
  async pending(limit: number): Promise<OutboxRow[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT o.*, q.position AS held_behind
       FROM (SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE published_at IS NULL ORDER BY position LIMIT ?) o
       LEFT JOIN (SELECT aggregate_type, aggregate_id, MIN(position) AS position FROM outbox_quarantine
                  WHERE held_behind IS NULL GROUP BY aggregate_type, aggregate_id) q
         ON q.aggregate_type = o.aggregate_type AND q.aggregate_id = o.aggregate_id
       ORDER BY o.position`,
      [limit],
    );
    return rows.map((row) => ({
      ...eventFieldsOf(row),
      schemaFingerprint: row.schema_fingerprint as string,
      payload: row.payload as Buffer,
      commandId: row.command_id as string,
      correlationId: row.correlation_id as string,
      causationId: row.causation_id as string,
      heldBehind: row.held_behind === null ? null : Number(row.held_behind),
    }));
  }

  async recordIntent(intent: SendIntent): Promise<void> {
    await this.pool.query(
      'UPDATE outbox_relay_intent SET batch = ?, updated_at = UTC_TIMESTAMP(6) WHERE id = 1',
      [JSON.stringify(intent)],
    );
  }

  /** The event ids of outbox rows, by position. */
  async eventIds(positions: readonly number[]): Promise<Map<number, string>> {
    if (positions.length === 0) return new Map();
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT position, event_id FROM outbox WHERE position IN (?)',
      [positions],
    );
    return new Map(rows.map((row) => [Number(row.position), row.event_id as string]));
  }

  async intent(): Promise<SendIntent | undefined> {
    const [[row]] = await this.pool.query<RowDataPacket[]>(
      'SELECT batch FROM outbox_relay_intent WHERE id = 1',
    );
    return typeof row?.batch === 'string' ? (JSON.parse(row.batch) as SendIntent) : undefined;
  }

  /** Marks rows published and forgets the intent, in one transaction. */
  async markPublished(positions: readonly number[]): Promise<void> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      if (positions.length > 0) {
        await connection.query('UPDATE outbox SET published_at = UTC_TIMESTAMP(6) WHERE position IN (?)', [
          positions,
        ]);
      }
      await connection.query(
        'UPDATE outbox_relay_intent SET batch = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = 1',
      );
      await connection.commit();
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      connection.release();
    }
  }

  /**
   * Where an aggregate's event is: in the outbox (published or not), in its quarantine, or gone
   * from both — deleted after being published, since rows leave only then — unless the
   * aggregate never reached that version.
   */
  async stageOf(aggregateType: string, aggregateId: string, version: number): Promise<EventStage> {
    const [[row]] = await this.pool.query<RowDataPacket[]>(
      `SELECT published_at IS NOT NULL AS published, 0 AS quarantined FROM outbox
       WHERE aggregate_type = ? AND aggregate_id = ? AND aggregate_version = ?
       UNION ALL
       SELECT 0, 1 FROM outbox_quarantine WHERE aggregate_type = ? AND aggregate_id = ? AND aggregate_version = ?`,
      [aggregateType, aggregateId, version, aggregateType, aggregateId, version],
    );
    if (!row)
      return (await this.committedVersion(aggregateType, aggregateId)) >= version
        ? 'published'
        : 'not-committed';
    if (Number(row.quarantined) === 1) return 'quarantined';
    return Number(row.published) === 1 ? 'published' : 'unpublished';
  }

  /** The aggregate's version in the write model; 0 when there is no such aggregate. */
  private async committedVersion(aggregateType: string, aggregateId: string): Promise<number> {
    const table = AGGREGATE_TABLES[aggregateType];
    if (table === undefined) return 0;
    const [[row]] = await this.pool.query<RowDataPacket[]>(`SELECT version FROM ${table} WHERE id = ?`, [
      aggregateId,
    ]);
    return Number(row?.version ?? 0);
  }

  /** Rows not published yet, and when the oldest of them was written (null when there is none). */
  async backlog(): Promise<{ rows: number; oldestAt: Date | null }> {
    const [[row]] = await this.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS backlog, MIN(occurred_at) AS oldest FROM outbox WHERE published_at IS NULL',
    );
    return { rows: Number(row?.backlog ?? 0), oldestAt: (row?.oldest as Date | null | undefined) ?? null };
  }

  /** Deletes up to `limit` rows published more than `ageMs` ago; returns how many went. */
  async purgePublished(ageMs: number, limit: number): Promise<number> {
    const [result] = await this.pool.query<ResultSetHeader>(
      `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND
       LIMIT ?`,
      [ageMs * 1_000, limit],
    );
    return result.affectedRows;
  }
}
