// Reads the write model from MySQL in keyset-paginated batches (so memory stays flat however
// many orders there are), or by id for a page of a read model's documents.
import type { OrderHistoryLine, OrderStatus, SalesChannel } from '@cqrs-shop/projections';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { sqlTimeToIso } from './placement.js';
import type { WriteOrder, WriteProduct } from './write-model.js';

// Times are formatted by the server, so the result does not depend on the pool's time zone.
const TIME_FORMAT = '%Y-%m-%dT%H:%i:%s.%f';

const ORDER_SELECT = `SELECT o.id, o.customer_id, o.status, o.total_cents, o.currency, o.channel, o.refund_cents,
    o.version, DATE_FORMAT(o.placed_at, '${TIME_FORMAT}') AS placed_at, c.name AS customer_name,
    c.email AS customer_email
  FROM orders o LEFT JOIN customers c ON c.id = o.customer_id`;

export class MysqlWriteModel {
  constructor(
    private readonly pool: Pool,
    private readonly batchSize: number,
  ) {}

  /** Every order with its customer, lines and placement time, in id order, a batch at a time. */
  async *orderBatches(): AsyncGenerator<WriteOrder[]> {
    for await (const rows of this.pages(`${ORDER_SELECT} WHERE o.id > ? ORDER BY o.id LIMIT ?`))
      yield await this.completeOrders(rows);
  }

  /** The orders among `ids`, by id (exact matches only). */
  async ordersByIds(ids: readonly string[]): Promise<Map<string, WriteOrder>> {
    if (ids.length === 0) return new Map();
    const [rows] = await this.pool.query<RowDataPacket[]>(`${ORDER_SELECT} WHERE o.id IN (?)`, [ids]);
    // The id column compares case-insensitively; an id is in the write model only if it is exactly there.
    const wanted = new Set(ids);
    const orders = await this.completeOrders(rows.filter((row) => wanted.has(row.id as string)));
    return new Map(orders.map((order) => [order.orderId, order]));
  }

  /** Every product, in id order, a batch at a time. */
  async *productBatches(): AsyncGenerator<WriteProduct[]> {
    for await (const rows of this.pages(
      `SELECT id, sku, name, description, price_cents, currency, stock, version FROM products
       WHERE id > ? ORDER BY id LIMIT ?`,
    ))
      yield rows.map(toWriteProduct);
  }

  /** Those of `ids` that are orders in the write model (exact matches only). */
  existingOrderIds(ids: readonly string[]): Promise<ReadonlySet<string>> {
    return this.existing('orders', ids);
  }

  /** Those of `ids` that are products in the write model (exact matches only). */
  existingProductIds(ids: readonly string[]): Promise<ReadonlySet<string>> {
    return this.existing('products', ids);
  }

  /** Pages of `sql`, which takes the last id seen and the page size: keyset pagination by id. */
  private async *pages(sql: string): AsyncGenerator<RowDataPacket[]> {
    let after = '';
    for (;;) {
      const [rows] = await this.pool.query<RowDataPacket[]>(sql, [after, this.batchSize]);
      const last = rows.at(-1);
      if (last === undefined) return;
      yield rows;
      if (rows.length < this.batchSize) return;
      after = last.id as string;
    }
  }

  /** Order rows with their lines and placement events. */
  private async completeOrders(rows: RowDataPacket[]): Promise<WriteOrder[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id as string);
    const [lines, placementEvents] = await Promise.all([this.linesOf(ids), this.placementEventsOf(ids)]);
    return rows.map((row) => toWriteOrder(row, lines, placementEvents));
  }

  private async linesOf(orderIds: readonly string[]): Promise<Map<string, OrderHistoryLine[]>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT order_id, product_id, sku, product_name, quantity, unit_price_cents, line_total_cents
       FROM order_lines WHERE order_id IN (?) ORDER BY order_id, line_no`,
      [orderIds],
    );
    const lines = new Map<string, OrderHistoryLine[]>();
    for (const row of rows) {
      const orderId = row.order_id as string;
      const line: OrderHistoryLine = {
        productId: row.product_id as string,
        sku: row.sku as string,
        productName: row.product_name as string,
        quantity: Number(row.quantity),
        unitPriceCents: Number(row.unit_price_cents),
        lineTotalCents: Number(row.line_total_cents),
      };
      const ofOrder = lines.get(orderId);
      if (ofOrder) ofOrder.push(line);
      else lines.set(orderId, [line]);
    }
    return lines;
  }

  /** The OrderPlaced events' `occurredAt` of those orders whose event the outbox still holds. */
  private async placementEventsOf(orderIds: readonly string[]): Promise<Map<string, string>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT aggregate_id, DATE_FORMAT(occurred_at, '${TIME_FORMAT}') AS occurred_at FROM outbox
       WHERE aggregate_type = 'order' AND aggregate_version = 1 AND event_type = 'OrderPlaced'
         AND aggregate_id IN (?)`,
      [orderIds],
    );
    return new Map(rows.map((row) => [row.aggregate_id as string, sqlTimeToIso(row.occurred_at as string)]));
  }

  private async existing(table: 'orders' | 'products', ids: readonly string[]): Promise<ReadonlySet<string>> {
    if (ids.length === 0) return new Set();
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT id FROM ${table} WHERE id IN (?)`, [ids]);
    // The id column compares case-insensitively; an id is in the write model only if it is exactly there.
    const found = new Set(rows.map((row) => row.id as string));
    return new Set(ids.filter((id) => found.has(id)));
  }
}

function toWriteOrder(
  row: RowDataPacket,
  lines: ReadonlyMap<string, OrderHistoryLine[]>,
  placementEvents: ReadonlyMap<string, string>,
): WriteOrder {
  const orderId = row.id as string;
  const name = row.customer_name as string | null;
  const email = row.customer_email as string | null;
  return {
    orderId,
    customerId: row.customer_id as string,
    customer: name === null || email === null ? null : { name, email },
    status: row.status as OrderStatus,
    totalCents: Number(row.total_cents),
    currency: row.currency as string,
    channel: row.channel as SalesChannel,
    refundCents: row.refund_cents === null ? null : Number(row.refund_cents),
    version: Number(row.version),
    lines: lines.get(orderId) ?? [],
    placement: {
      recordedAt: sqlTimeToIso(row.placed_at as string),
      eventOccurredAt: placementEvents.get(orderId) ?? null,
    },
  };
}

function toWriteProduct(row: RowDataPacket): WriteProduct {
  return {
    productId: row.id as string,
    sku: row.sku as string,
    name: row.name as string,
    description: row.description as string | null,
    priceCents: Number(row.price_cents),
    currency: row.currency as string,
    stock: Number(row.stock),
    version: Number(row.version),
  };
}
