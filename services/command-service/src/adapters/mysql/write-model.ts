import { ShopError } from '@cqrs-shop/errors';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type {
  CustomerState,
  OrderLine,
  OrderState,
  OrderStatus,
  ProductState,
  SalesChannel,
} from '../../domain/index.js';
import { ER_DUP_ENTRY, mysqlErrorNumber } from './transactions.js';

/**
 * Current state of each aggregate in normalised tables. Loads take row locks (`FOR UPDATE`)
 * when a command will change the aggregate, so commands on one aggregate run one at a time;
 * saves are guarded by the version that was loaded, as a second line of defence.
 */

/** A unique key was hit on insert: which one. */
export class UniqueKeyViolationError extends ShopError<'write-model.unique-key-violation'> {
  constructor(readonly key: string) {
    super('write-model.unique-key-violation', `duplicate value for unique key ${key}`);
  }
}

async function insertOrReport(connection: PoolConnection, sql: string, values: unknown[]): Promise<void> {
  try {
    await connection.query(sql, values);
  } catch (error) {
    if (mysqlErrorNumber(error) === ER_DUP_ENTRY) {
      const key = /for key '(?:[^.']*\.)?([^']+)'/.exec((error as Error).message)?.[1] ?? 'unknown';
      throw new UniqueKeyViolationError(key);
    }
    throw error;
  }
}

async function updateGuarded(
  connection: PoolConnection,
  what: string,
  sql: string,
  values: unknown[],
): Promise<void> {
  const [result] = await connection.query<ResultSetHeader>(sql, values);
  // Unreachable while loads lock their rows; a failure here means a lost update was prevented.
  if (result.affectedRows !== 1)
    throw new Error(`${what} changed concurrently; no row had the expected version`);
}

const lock = (forUpdate: boolean) => (forUpdate ? ' FOR UPDATE' : '');

// --- customers ---------------------------------------------------------------------------

export async function loadCustomer(
  connection: PoolConnection,
  customerId: string,
  forUpdate = false,
): Promise<CustomerState | undefined> {
  const [[row]] = await connection.query<RowDataPacket[]>(
    `SELECT id, name, given_name, family_name, email, version FROM customers WHERE id = ?${lock(forUpdate)}`,
    [customerId],
  );
  return (
    row && {
      customerId: row.id as string,
      name: row.name as string,
      givenName: row.given_name as string | null,
      familyName: row.family_name as string | null,
      email: row.email as string,
      version: row.version as number,
    }
  );
}

export async function saveCustomer(
  connection: PoolConnection,
  before: CustomerState | undefined,
  after: CustomerState,
): Promise<void> {
  if (!before) {
    await insertOrReport(
      connection,
      `INSERT INTO customers (id, name, given_name, family_name, email, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`,
      [after.customerId, after.name, after.givenName, after.familyName, after.email, after.version],
    );
    return;
  }
  await updateGuarded(
    connection,
    `customer ${after.customerId}`,
    `UPDATE customers SET name = ?, given_name = ?, family_name = ?, email = ?, version = ?, updated_at = UTC_TIMESTAMP(6)
     WHERE id = ? AND version = ?`,
    [
      after.name,
      after.givenName,
      after.familyName,
      after.email,
      after.version,
      after.customerId,
      before.version,
    ],
  );
}

// --- products ----------------------------------------------------------------------------

function toProduct(row: RowDataPacket): ProductState {
  return {
    productId: row.id as string,
    sku: row.sku as string,
    name: row.name as string,
    description: row.description as string | null,
    priceCents: Number(row.price_cents),
    currency: row.currency as string,
    stock: row.stock as number,
    version: row.version as number,
  };
}

/**
 * Loads products by id. With `forUpdate`, rows are locked in id order, so two orders for the
 * same products lock them in the same order and cannot deadlock each other.
 */
export async function loadProducts(
  connection: PoolConnection,
  productIds: readonly string[],
  forUpdate = false,
): Promise<Map<string, ProductState>> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return new Map();
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT id, sku, name, description, price_cents, currency, stock, version FROM products
     WHERE id IN (?) ORDER BY id${lock(forUpdate)}`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id as string, toProduct(row)]));
}

export async function saveProduct(
  connection: PoolConnection,
  before: ProductState | undefined,
  after: ProductState,
): Promise<void> {
  if (!before) {
    await insertOrReport(
      connection,
      `INSERT INTO products (id, sku, name, description, price_cents, currency, stock, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`,
      [
        after.productId,
        after.sku,
        after.name,
        after.description,
        after.priceCents,
        after.currency,
        after.stock,
        after.version,
      ],
    );
    return;
  }
  await updateGuarded(
    connection,
    `product ${after.productId}`,
    `UPDATE products SET name = ?, description = ?, price_cents = ?, stock = ?, version = ?, updated_at = UTC_TIMESTAMP(6)
     WHERE id = ? AND version = ?`,
    [
      after.name,
      after.description,
      after.priceCents,
      after.stock,
      after.version,
      after.productId,
      before.version,
    ],
  );
}

// --- orders ------------------------------------------------------------------------------

export async function loadOrder(
  connection: PoolConnection,
  orderId: string,
  forUpdate = false,
): Promise<OrderState | undefined> {
  const [[row]] = await connection.query<RowDataPacket[]>(
    `SELECT id, customer_id, status, total_cents, currency, channel, refund_cents, version FROM orders
     WHERE id = ?${lock(forUpdate)}`,
    [orderId],
  );
  if (!row) return undefined;
  const [lines] = await connection.query<RowDataPacket[]>(
    `SELECT product_id, sku, product_name, quantity, unit_price_cents, line_total_cents
     FROM order_lines WHERE order_id = ? ORDER BY line_no`,
    [orderId],
  );
  return {
    orderId: row.id as string,
    customerId: row.customer_id as string,
    status: row.status as OrderStatus,
    totalCents: Number(row.total_cents),
    currency: row.currency as string,
    channel: row.channel as SalesChannel,
    refundCents: row.refund_cents === null ? null : Number(row.refund_cents),
    version: row.version as number,
    lines: lines.map((line): OrderLine => ({
      productId: line.product_id as string,
      sku: line.sku as string,
      productName: line.product_name as string,
      quantity: line.quantity as number,
      unitPriceCents: Number(line.unit_price_cents),
      lineTotalCents: Number(line.line_total_cents),
    })),
  };
}

export async function saveOrder(
  connection: PoolConnection,
  before: OrderState | undefined,
  after: OrderState,
): Promise<void> {
  if (!before) {
    await insertOrReport(
      connection,
      `INSERT INTO orders (id, customer_id, status, total_cents, currency, channel, refund_cents, version, placed_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`,
      [
        after.orderId,
        after.customerId,
        after.status,
        after.totalCents,
        after.currency,
        after.channel,
        after.refundCents,
        after.version,
      ],
    );
    await connection.query(
      `INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, quantity, unit_price_cents, line_total_cents)
       VALUES ?`,
      [
        after.lines.map((line, index) => [
          after.orderId,
          index + 1,
          line.productId,
          line.sku,
          line.productName,
          line.quantity,
          line.unitPriceCents,
          line.lineTotalCents,
        ]),
      ],
    );
    return;
  }
  // Lines never change after placement; only the status moves.
  await updateGuarded(
    connection,
    `order ${after.orderId}`,
    'UPDATE orders SET status = ?, refund_cents = ?, version = ?, updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND version = ?',
    [after.status, after.refundCents, after.version, after.orderId, before.version],
  );
}
