import { ShopError } from '@cqrs-shop/errors';
import { type MysqlConnectionSettings, mysqlConnection } from '@cqrs-shop/config';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@cqrs-shop/logging';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';

/** The service's migrations: `NNNN_description.sql`, applied in name order, never edited once applied. */
export const MIGRATIONS_DIRECTORY = resolve(__dirname, '../../../migrations');

const LOCK_NAME = 'cqrs-shop.command-service.migrations';
const LOCK_WAIT_SECONDS = 60;

/** Where the write model is (see MYSQL_*). */
export type ConnectionSettings = MysqlConnectionSettings;

export class MigrationError extends ShopError<'write-model.migration-failed'> {
  constructor(message: string) {
    super('write-model.migration-failed', message);
  }
}

interface Migration {
  readonly version: string;
  readonly sql: string;
  readonly checksum: string;
}

async function readMigrations(directory: string): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(directory, file), 'utf8');
      return {
        version: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

/**
 * Brings the database schema up to date and returns the versions it applied. Replicas that
 * start together take turns through a named lock; a migration file changed after it was
 * applied stops everything, because the database no longer matches the repository.
 *
 * MySQL commits each DDL statement on its own, so a file that fails half-way leaves its first
 * statements applied: fix the file's cause and the database by hand before running again.
 */
export async function migrate(
  settings: ConnectionSettings,
  logger: Logger,
  directory = MIGRATIONS_DIRECTORY,
): Promise<string[]> {
  const migrations = await readMigrations(directory);
  const connection = await createConnection({ ...mysqlConnection(settings), multipleStatements: true });
  try {
    const [[lock]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS acquired', [
      LOCK_NAME,
      LOCK_WAIT_SECONDS,
    ]);
    if (lock?.acquired !== 1)
      throw new MigrationError(`another migration held ${LOCK_NAME} for ${LOCK_WAIT_SECONDS}s`);
    try {
      return await applyPending(connection, migrations, logger);
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    await connection.end();
  }
}

async function applyPending(
  connection: Connection,
  migrations: Migration[],
  logger: Logger,
): Promise<string[]> {
  await connection.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(200) NOT NULL PRIMARY KEY,
    checksum CHAR(64) NOT NULL,
    applied_at DATETIME(6) NOT NULL
  ) ENGINE = InnoDB`);
  const [rows] = await connection.query<RowDataPacket[]>('SELECT version, checksum FROM schema_migrations');
  const applied = new Map(rows.map((row) => [row.version as string, row.checksum as string]));

  const done: string[] = [];
  for (const migration of migrations) {
    const checksum = applied.get(migration.version);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new MigrationError(`migration ${migration.version} was changed after it was applied`);
      }
      continue;
    }
    logger.info({ migration: migration.version }, 'applying migration');
    await connection.query(migration.sql);
    await connection.query(
      'INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))',
      [migration.version, migration.checksum],
    );
    done.push(migration.version);
  }
  return done;
}
