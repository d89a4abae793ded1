import { ShopError } from '@cqrs-shop/errors';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { OutboxRow } from './store.js';

/** The columns an outbox row and a quarantined row share, in one order for moves both ways. */
export const OUTBOX_COLUMNS = [
  'position',
  'event_id',
  'event_type',
  'aggregate_type',
  'aggregate_id',
  'aggregate_version',
  'schema_fingerprint',
  'payload',
  'command_id',
  'correlation_id',
  'causation_id',
  'traceparent',
  'occurred_at',
].join(', ');

/** A row to take out of the outbox: its own reason, or the quarantined row it must wait behind. */
export type QuarantineMove =
  | { readonly position: number; readonly reason: string; readonly heldBehind?: undefined }
  | { readonly position: number; readonly heldBehind: number; readonly reason?: undefined };

/** A quarantined row as `cqrs outbox list` shows it. */
export interface QuarantinedRow extends Pick<
  OutboxRow,
  | 'position'
  | 'eventId'
  | 'eventType'
  | 'aggregateType'
  | 'aggregateId'
  | 'aggregateVersion'
  | 'traceparent'
  | 'occurredAt'
> {
  readonly reason: string;
  /** The quarantined row this one waits behind (same aggregate); null for a row with a reason of its own. */
  readonly heldBehind: number | null;
  readonly quarantinedAt: Date;
}

/** What `release` may change in the row before it goes back. */
export interface ReleaseFix {
  /** Publish without the stored `traceparent` (the events then start no trace of their own). */
  readonly dropTraceparent?: boolean;
}

/** A release that cannot be done as asked; nothing was changed. */
export class ReleaseRefusedError extends ShopError<'outbox.release-refused'> {
  constructor(message: string) {
    super('outbox.release-refused', message);
  }
}

/**
 * The outbox's quarantine (see migration 0005): rows the relay cannot publish, and the rows of
 * their aggregates held behind them. The relay moves rows in; an operator lists them and,
 * once the cause is fixed, releases them back to the outbox, where they keep their positions
 * and so go first.
 */
export class OutboxQuarantine {
  constructor(private readonly pool: Pool) {}

  /**
   * Moves rows from the outbox into the quarantine, in one transaction, rows with a reason
   * before the rows held behind them. A held row moves only while the row it waits behind is
   * still quarantined (a release may just have taken it back): it then stays in the outbox.
   * Returns the positions moved.
   */
  async move(moves: readonly QuarantineMove[]): Promise<number[]> {
    const ordered = [
      ...moves.filter((move) => move.heldBehind === undefined),
      ...moves.filter((move) => move.heldBehind !== undefined),
    ];
    return this.inTransaction(async (connection) => {
      const moved: number[] = [];
      for (const move of ordered) {
        const [inserted] =
          move.heldBehind === undefined
            ? await connection.query<ResultSetHeader>(
                `INSERT INTO outbox_quarantine (${OUTBOX_COLUMNS}, reason, held_behind, quarantined_at)
                 SELECT ${OUTBOX_COLUMNS}, ?, NULL, UTC_TIMESTAMP(6)
                 FROM outbox WHERE position = ? AND published_at IS NULL`,
                [move.reason.slice(0, 1_000), move.position],
              )
            : // The join reads the row waited behind with a shared lock: a release in progress
              // is waited for, and a released row is not found.
              await connection.query<ResultSetHeader>(
                `INSERT INTO outbox_quarantine (${OUTBOX_COLUMNS}, reason, held_behind, quarantined_at)
                 SELECT ${prefixed('o')}, CONCAT('held behind row ', q.position), q.position, UTC_TIMESTAMP(6)
                 FROM outbox o JOIN outbox_quarantine q ON q.position = ? AND q.held_behind IS NULL
                 WHERE o.position = ? AND o.published_at IS NULL`,
                [move.heldBehind, move.position],
              );
        if (inserted.affectedRows !== 1) continue;
        await connection.query('DELETE FROM outbox WHERE position = ?', [move.position]);
        moved.push(move.position);
      }
      return moved;
    });
  }

  /** Every quarantined row, in position order (a row before the rows held behind it). */
  async list(): Promise<QuarantinedRow[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT position, event_id, event_type, aggregate_type, aggregate_id, aggregate_version, traceparent,
              occurred_at, reason, held_behind, quarantined_at
       FROM outbox_quarantine ORDER BY position`,
    );
    return rows.map((row) => ({
      ...eventFieldsOf(row),
      reason: row.reason as string,
      heldBehind: row.held_behind === null ? null : Number(row.held_behind),
      quarantinedAt: row.quarantined_at as Date,
    }));
  }

  /** How many rows are quarantined, and when the first of them was. */
  async count(): Promise<{ rows: number; oldestAt: Date | null }> {
    const [[row]] = await this.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n, MIN(quarantined_at) AS oldest FROM outbox_quarantine',
    );
    return { rows: Number(row?.n ?? 0), oldestAt: (row?.oldest as Date | null | undefined) ?? null };
  }

  /**
   * Moves a quarantined row and the rows held behind it back to the outbox, in one transaction,
   * after applying `fix`. Returns the positions released, in order.
   *
   * @throws {ReleaseRefusedError} when no row has that position, or it is held behind another
   *   (release that one: its aggregate's events must go in order).
   */
  async release(position: number, fix: ReleaseFix = {}): Promise<number[]> {
    return this.inTransaction(async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        'SELECT position, held_behind FROM outbox_quarantine WHERE position = ? OR held_behind = ? ORDER BY position FOR UPDATE',
        [position, position],
      );
      const row = rows.find((candidate) => Number(candidate.position) === position);
      if (!row) throw new ReleaseRefusedError(`no quarantined outbox row has position ${position}`);
      if (row.held_behind !== null)
        throw new ReleaseRefusedError(
          `row ${position} is held behind row ${String(row.held_behind)} of the same aggregate: release that one`,
        );
      if (fix.dropTraceparent === true)
        await connection.query('UPDATE outbox_quarantine SET traceparent = NULL WHERE position = ?', [
          position,
        ]);
      await connection.query(
        `INSERT INTO outbox (${OUTBOX_COLUMNS}, published_at)
         SELECT ${OUTBOX_COLUMNS}, NULL FROM outbox_quarantine WHERE position = ? OR held_behind = ?`,
        [position, position],
      );
      await connection.query('DELETE FROM outbox_quarantine WHERE position = ? OR held_behind = ?', [
        position,
        position,
      ]);
      return rows.map((released) => Number(released.position));
    });
  }

  private async inTransaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      connection.release();
    }
  }
}

function prefixed(alias: string): string {
  return OUTBOX_COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

/** The fields an outbox row and a quarantined row share, from either table's row. */
export function eventFieldsOf(
  row: RowDataPacket,
): Omit<QuarantinedRow, 'reason' | 'heldBehind' | 'quarantinedAt'> {
  return {
    position: Number(row.position),
    eventId: row.event_id as string,
    eventType: row.event_type as string,
    aggregateType: row.aggregate_type as string,
    aggregateId: row.aggregate_id as string,
    aggregateVersion: Number(row.aggregate_version),
    traceparent: row.traceparent as string | null,
    occurredAt: row.occurred_at as Date,
  };
}
