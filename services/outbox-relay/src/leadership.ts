import { type MysqlConnectionSettings, mysqlConnection } from '@cqrs-shop/config';
import type { Logger } from '@cqrs-shop/logging';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';

/** Where the write model is: the lock lives in its MySQL. */
export type LeadershipSettings = MysqlConnectionSettings;

/**
 * Which relay replica publishes: the one holding a MySQL named lock on its own connection.
 * MySQL frees the lock when that connection ends, so a crashed or cut-off replica loses it
 * without any timeout to tune; the others keep trying to take it.
 */
export class Leadership {
  private connection: Connection | undefined;
  readonly lockName: string;

  constructor(
    private readonly settings: LeadershipSettings,
    private readonly logger: Logger,
  ) {
    // Named locks are server-wide: one per database, so suites on one server do not collide.
    this.lockName = `cqrs-shop.outbox-relay.${settings.database}`.slice(0, 64);
  }

  /** Takes the lock if it is free. Call only while not holding it (named locks are counted). */
  async tryAcquire(): Promise<boolean> {
    try {
      this.connection ??= await this.connect();
      const [[row]] = await this.connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS acquired', [
        this.lockName,
      ]);
      return row?.acquired === 1;
    } catch (error) {
      this.logger.warn({ err: error }, 'could not ask for the relay lock');
      await this.drop();
      return false;
    }
  }

  /** Whether this replica still holds the lock (its connection may have died meanwhile). */
  async isHeld(): Promise<boolean> {
    if (!this.connection) return false;
    try {
      const [[row]] = await this.connection.query<RowDataPacket[]>(
        'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held',
        [this.lockName],
      );
      return row?.held === 1;
    } catch {
      await this.drop();
      return false;
    }
  }

  async release(): Promise<void> {
    if (!this.connection) return;
    await this.connection.query('SELECT RELEASE_LOCK(?)', [this.lockName]).catch(() => undefined);
    await this.drop();
  }

  private async connect(): Promise<Connection> {
    const connection = await createConnection({ ...mysqlConnection(this.settings), connectTimeout: 5_000 });
    connection.on('error', (error: unknown) => {
      this.logger.warn({ err: error }, 'relay lock connection failed');
      this.connection = undefined;
    });
    return connection;
  }

  private async drop(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.end().catch(() => undefined);
  }
}
