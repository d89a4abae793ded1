// The command API on a real MariaDB for integration tests: one fresh database per test file.
import { ConsistencyTokens, type EventPayloads, type EventType } from '@cqrs-shop/events';
import { type DecodedEvent, decodeEvent } from '@cqrs-shop/event-codec';
import { listen, type RunningServer } from '@cqrs-shop/http';
import { createLogger } from '@cqrs-shop/logging';
import { authenticationFor } from '@cqrs-shop/auth';
import { createScratchDatabase, testIdentity } from '@cqrs-shop/testing';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { migrate } from '../../src/adapters/mysql/migrations.js';
import { createWriteModelPool } from '../../src/adapters/mysql/pool.js';
import { createCommandApi } from '../../src/app.js';
import { loadServiceConfig } from '../../src/config.js';

/** The command side's tables (migration 0001); a snapshot counts these and any later ones. */
export const WRITE_MODEL_TABLES = [
  'customers',
  'products',
  'orders',
  'order_lines',
  'outbox',
  'idempotency_keys',
  'command_audit',
] as const;

export type WriteModelTable = (typeof WRITE_MODEL_TABLES)[number];

/** A value bound to a `?` placeholder. */
export type QueryParam = string | number | null;

/** A result row by column name. */
export type Row = Readonly<Record<string, unknown>>;

/** A running command API and the database behind it. */
export interface CommandApiUnderTest {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly baseUrl: string;
  /** The pool the API uses; tests may read through it too. */
  readonly pool: Pool;
  /** The database's name (`shop_test_…`), dropped by {@link CommandApiUnderTest.close}. */
  readonly database: string;
  /** The largest request body the API accepts, as its configuration sets it. */
  readonly bodyLimitBytes: number;
  /** Runs one statement in the test's database and returns its rows, column values unknown until checked. */
  query(sql: string, params?: readonly QueryParam[]): Promise<Row[]>;
  /** Stops the server, closes the pool and drops the database; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Creates a fresh database, migrates it, and serves the command API from it on a free loopback
 * port, configured the way the service configures itself (defaults unless the environment
 * overrides them) but with a silent logger. Call in `beforeAll`, and `close()` in `afterAll`.
 */
export async function startCommandApi(): Promise<CommandApiUnderTest> {
  const scratch = await createScratchDatabase();
  const database = scratch.name;
  const config = loadServiceConfig({
    ...process.env,
    ...scratch.env,
    ...testIdentity().env,
    COMMAND_PORT: '0',
    HTTP_HOST: '127.0.0.1',
  });
  const logger = createLogger({ service: 'test', level: 'silent' });
  const dropDatabase = () => scratch.drop();

  const pool = createWriteModelPool(config.mysql, logger);
  let server: RunningServer;
  try {
    await migrate(scratch.settings, logger);
    const { api } = createCommandApi({
      pool,
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      idempotencyTtlMs: config.commands.idempotencyTtlMs,
      authentication: authenticationFor(config.auth, logger),
      consistencyTokens: new ConsistencyTokens(config.consistencyTokens),
    });
    server = await listen(api, { port: 0, host: '127.0.0.1' });
  } catch (error) {
    await pool.end();
    await dropDatabase();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = async () => {
    await server.close();
    await pool.end();
    await dropDatabase();
  };

  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    pool,
    database,
    bodyLimitBytes: config.http.bodyLimitBytes,
    async query(sql, params = []) {
      const [rows] = await pool.query<RowDataPacket[]>(sql, [...params]);
      return rows;
    },
    close: () => (closing ??= close()),
  };
}

/** What a command may change, so that a test can tell that a refused one changed nothing. */
export interface WriteModelSnapshot {
  /** Rows in every table but `schema_migrations`, including tables added after 0001. */
  readonly rowCounts: Readonly<Record<WriteModelTable, number>> & Readonly<Record<string, number>>;
  readonly products: readonly {
    readonly id: string;
    readonly priceCents: number;
    readonly stock: number;
    readonly version: number;
  }[];
  readonly orders: readonly {
    readonly id: string;
    readonly status: string;
    readonly refundCents: number | null;
    readonly version: number;
  }[];
  readonly outbox: readonly {
    readonly position: number;
    readonly eventType: string;
    readonly aggregateId: string;
    readonly aggregateVersion: number;
  }[];
}

/** Row counts of every table, every product's price, stock and version, every order's status and version, and the outbox. */
export async function snapshotWriteModel(api: CommandApiUnderTest): Promise<WriteModelSnapshot> {
  const tables = await api.query(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
     ORDER BY table_name`,
    [api.database],
  );
  const names = tables.map((row) => row.name as string);
  const missing = WRITE_MODEL_TABLES.filter((table) => !names.includes(table));
  if (missing.length > 0) throw new Error(`the write model has no table ${missing.join(', ')}`);
  const counts = await Promise.all(
    names.map(async (table) => {
      const [row] = await api.query(`SELECT COUNT(*) AS n FROM \`${table}\``);
      return [table, Number(row?.n)] as const;
    }),
  );
  const products = await api.query('SELECT id, price_cents, stock, version FROM products ORDER BY id');
  const orders = await api.query('SELECT id, status, refund_cents, version FROM orders ORDER BY id');
  const outbox = await api.query(
    'SELECT position, event_type, aggregate_id, aggregate_version FROM outbox ORDER BY position',
  );
  return {
    rowCounts: Object.fromEntries(counts) as WriteModelSnapshot['rowCounts'],
    products: products.map((row) => ({
      id: row.id as string,
      priceCents: Number(row.price_cents),
      stock: row.stock as number,
      version: row.version as number,
    })),
    orders: orders.map((row) => ({
      id: row.id as string,
      status: row.status as string,
      refundCents: row.refund_cents === null ? null : Number(row.refund_cents),
      version: row.version as number,
    })),
    outbox: outbox.map((row) => ({
      position: Number(row.position),
      eventType: row.event_type as string,
      aggregateId: row.aggregate_id as string,
      aggregateVersion: row.aggregate_version as number,
    })),
  };
}

/** One outbox row, its Avro payload decoded. */
export interface OutboxEvent {
  readonly position: number;
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly aggregateVersion: number;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly decoded: DecodedEvent;
}

/** The outbox in position order, optionally only one aggregate's rows. */
export async function readOutbox(api: CommandApiUnderTest, aggregateId?: string): Promise<OutboxEvent[]> {
  const rows = await api.query(
    `SELECT position, event_type, aggregate_type, aggregate_id, aggregate_version, payload, command_id,
       correlation_id, causation_id
     FROM outbox ${aggregateId === undefined ? '' : 'WHERE aggregate_id = ?'} ORDER BY position`,
    aggregateId === undefined ? [] : [aggregateId],
  );
  return rows.map((row) => ({
    position: Number(row.position),
    eventType: row.event_type as string,
    aggregateType: row.aggregate_type as string,
    aggregateId: row.aggregate_id as string,
    aggregateVersion: row.aggregate_version as number,
    commandId: row.command_id as string,
    correlationId: row.correlation_id as string,
    causationId: row.causation_id as string,
    decoded: decodeEvent(row.payload as Buffer),
  }));
}

/** The payloads of one event type, in outbox order. */
export function payloadsOf<T extends EventType>(
  events: readonly OutboxEvent[],
  eventType: T,
): EventPayloads[T][] {
  // `decoded.eventType === eventType` pairs the payload with T; the compiler cannot follow a generic there.
  return events.flatMap(({ decoded }) =>
    decoded.eventType === eventType ? [decoded.payload as EventPayloads[T]] : [],
  );
}

/** A snapshot without the audit trail's row count, which refused commands add to. */
export function exceptAudit(snapshot: WriteModelSnapshot): Omit<WriteModelSnapshot, 'rowCounts'> & {
  readonly rowCounts: Readonly<Record<string, number>>;
} {
  const rowCounts = Object.entries(snapshot.rowCounts).filter(([table]) => table !== 'command_audit');
  return { ...snapshot, rowCounts: Object.fromEntries(rowCounts) };
}
