// The CRUD baseline: the gateway's read routes answered the single-model way, by SQL on the write
// model (a join for an order, an indexed query for a customer's orders, LIKE for search, GROUP BY
// for figures), on the same HTTP stack as the gateway and in the same response shapes, so that
// `bench:vs-crud` compares the two ways of reading and nothing else. It is a yardstick for the
// benchmark, not part of the suite.
import type { EventPayloads } from '@cqrs-shop/events';
import { createHttpApp, HttpProblem, parseInput } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import type { Express, Request, RequestHandler } from 'express';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';

const STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
const id = z.uuid();
const limit = (fallback: number) => z.coerce.number().int().min(1).max(100).default(fallback);
const words = z.string().trim().min(1).max(200);

const orderParams = z.strictObject({ orderId: id });
const customerParams = z.strictObject({ customerId: id });
const customerOrdersQuery = z.strictObject({ limit: limit(20), cursor: z.string().max(1_000).optional() });
const orderSearchQuery = z.strictObject({
  q: words.optional(),
  status: z.enum(STATUSES).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  minTotalCents: z.coerce.number().int().min(0).optional(),
  maxTotalCents: z.coerce.number().int().min(0).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: limit(20),
});
const productSearchQuery = z.strictObject({ q: words.optional(), limit: limit(20) });
const salesQuery = z.strictObject({
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});
const topProductsQuery = z.strictObject({ limit: limit(10) });

interface OrderRow extends RowDataPacket {
  id: string;
  customer_id: string;
  name: string | null;
  email: string | null;
  status: string;
  total_cents: number | string;
  currency: string;
  channel: string;
  refund_cents: number | string | null;
  version: number;
  placed_at: Date;
  updated_at: Date;
  line_no: number | null;
  product_id: string;
  sku: string;
  product_name: string;
  quantity: number;
  unit_price_cents: number | string;
  line_total_cents: number | string;
}

/** Orders with their customer and lines, one row per line, in the order of the rows. */
const ORDER_COLUMNS = `o.id, o.customer_id, c.name, c.email, o.status, o.total_cents, o.currency, o.channel,
  o.refund_cents, o.version, o.placed_at, o.updated_at, l.line_no, l.product_id, l.sku, l.product_name,
  l.quantity, l.unit_price_cents, l.line_total_cents`;

/** Rows of {@link ORDER_COLUMNS} folded into order documents, in the order they came. */
function ordersOf(rows: readonly OrderRow[]) {
  const orders = new Map<string, ReturnType<typeof orderOf>>();
  for (const row of rows) {
    let order = orders.get(row.id);
    if (!order) orders.set(row.id, (order = orderOf(row)));
    if (row.line_no !== null)
      order.lines.push({
        productId: row.product_id,
        sku: row.sku,
        productName: row.product_name,
        quantity: row.quantity,
        unitPriceCents: Number(row.unit_price_cents),
        lineTotalCents: Number(row.line_total_cents),
      });
  }
  return [...orders.values()];
}

function orderOf(row: OrderRow) {
  return {
    orderId: row.id,
    customerId: row.customer_id,
    customer: row.name === null ? null : { name: row.name, email: row.email ?? '' },
    lines: [] as EventPayloads['OrderPlaced']['lines'],
    totalCents: Number(row.total_cents),
    currency: row.currency,
    channel: row.channel,
    status: row.status,
    // The write model keeps the current state only: a status history would need a table of its own.
    statusHistory: [],
    placedAt: row.placed_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    refundCents: row.refund_cents === null ? null : Number(row.refund_cents),
    version: row.version,
  };
}

const cursorOf = (placedAt: string, orderId: string) =>
  Buffer.from(JSON.stringify([placedAt, orderId])).toString('base64url');

function positionOf(cursor: string | undefined): [Date, string] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [placedAt, orderId] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    return [new Date(placedAt), orderId];
  } catch {
    throw HttpProblem.generic('invalid-request', 'cursor is not a cursor this API issued');
  }
}

/** The server stopped a statement at the time limit (MariaDB: 1969, MySQL 8: 3024). */
const isStatementTimeout = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  'errno' in error &&
  (error.errno === 1969 || error.errno === 3024);

/** 503, not 500: the question has an answer, the database could not give it in time. */
const statementTimedOut = (cause: unknown) =>
  new HttpProblem(
    {
      code: 'statement-timeout',
      status: 503,
      title: 'The query took longer than the time limit',
      detail: 'The database stopped the query at CRUD_STATEMENT_TIMEOUT_MS',
    },
    { cause },
  );

/** A LIKE pattern matching `text` anywhere, its wildcards escaped. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createCrudApi(pool: Pool, logger: Logger): Express {
  const rows = async <T extends RowDataPacket>(sql: string, values: unknown[]) => {
    try {
      return (await pool.query<T[]>(sql, values))[0];
    } catch (error) {
      throw isStatementTimeout(error) ? statementTimedOut(error) : error;
    }
  };
  const get =
    (handler: (req: Request) => Promise<unknown>): RequestHandler =>
    async (req, res) => {
      res.json(await handler(req));
    };
  return createHttpApp({
    logger,
    bodyLimitBytes: 1_024,
    routes: (app) => {
      app.get(
        '/orders/:orderId',
        get(async (req) => {
          const { orderId } = parseInput(orderParams, req.params, 'path');
          const [order] = ordersOf(
            await rows<OrderRow>(
              `SELECT ${ORDER_COLUMNS} FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
               LEFT JOIN order_lines l ON l.order_id = o.id WHERE o.id = ? ORDER BY l.line_no`,
              [orderId],
            ),
          );
          if (!order) throw HttpProblem.generic('not-found', `No order ${orderId}`);
          return order;
        }),
      );
      app.get(
        '/customers/:customerId/orders',
        get(async (req) => {
          const { customerId } = parseInput(customerParams, req.params, 'path');
          const q = parseInput(customerOrdersQuery, req.query, 'query');
          const after = positionOf(q.cursor);
          const found = ordersOf(
            await rows<OrderRow>(
              `SELECT ${ORDER_COLUMNS} FROM (
                 SELECT * FROM orders WHERE customer_id = ?
                 ${after ? 'AND (placed_at < ? OR (placed_at = ? AND id < ?))' : ''}
                 ORDER BY placed_at DESC, id DESC LIMIT ?) o
               LEFT JOIN customers c ON c.id = o.customer_id LEFT JOIN order_lines l ON l.order_id = o.id
               ORDER BY o.placed_at DESC, o.id DESC, l.line_no`,
              after ? [customerId, after[0], after[0], after[1], q.limit + 1] : [customerId, q.limit + 1],
            ),
          );
          const items = found.slice(0, q.limit);
          const last = items.at(-1);
          return {
            items,
            nextCursor: found.length > q.limit && last ? cursorOf(last.placedAt, last.orderId) : null,
          };
        }),
      );
      app.get(
        '/search/orders',
        get(async (req) => {
          const q = parseInput(orderSearchQuery, req.query, 'query');
          const where: string[] = [];
          const values: unknown[] = [];
          if (q.q) {
            where.push(`(c.name LIKE ? OR o.id = ? OR o.customer_id = ? OR EXISTS (
              SELECT 1 FROM order_lines w WHERE w.order_id = o.id AND (w.product_name LIKE ? OR w.sku = ?)))`);
            values.push(containing(q.q), q.q, q.q, containing(q.q), q.q);
          }
          const condition = (sql: string, value: unknown) => {
            if (value === undefined) return;
            where.push(sql);
            values.push(value);
          };
          condition('o.status = ?', q.status);
          condition('o.currency = ?', q.currency);
          condition('o.total_cents >= ?', q.minTotalCents);
          condition('o.total_cents <= ?', q.maxTotalCents);
          condition('o.placed_at >= ?', q.from && new Date(q.from));
          condition('o.placed_at < ?', q.to && new Date(q.to));
          const matching = `FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
            ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`;
          const [counted, page] = await Promise.all([
            rows<RowDataPacket>(`SELECT COUNT(*) AS n ${matching}`, values),
            rows<OrderRow & { names: string | null; skus: string | null }>(
              `SELECT o.id, o.customer_id, c.name, c.email, o.status, o.total_cents, o.currency, o.channel,
                 o.placed_at, o.version,
                 (SELECT GROUP_CONCAT(l.product_name ORDER BY l.line_no SEPARATOR '\\n') FROM order_lines l
                   WHERE l.order_id = o.id) AS names,
                 (SELECT GROUP_CONCAT(l.sku ORDER BY l.line_no SEPARATOR '\\n') FROM order_lines l
                   WHERE l.order_id = o.id) AS skus
               ${matching} ORDER BY o.placed_at DESC, o.id DESC LIMIT ?`,
              [...values, q.limit],
            ),
          ]);
          return {
            total: Number(counted[0]?.n ?? 0),
            items: page.map((row) => ({
              orderId: row.id,
              customerId: row.customer_id,
              customerName: row.name,
              customerEmail: row.email,
              productNames: row.names?.split('\n') ?? [],
              skus: row.skus?.split('\n') ?? [],
              status: row.status,
              totalCents: Number(row.total_cents),
              currency: row.currency,
              channel: row.channel,
              placedAt: row.placed_at.toISOString(),
              version: row.version,
            })),
            nextCursor: null,
          };
        }),
      );
      app.get(
        '/search/products',
        get(async (req) => {
          const q = parseInput(productSearchQuery, req.query, 'query');
          const where = q.q ? 'WHERE name LIKE ? OR description LIKE ? OR sku = ?' : '';
          const values = q.q ? [containing(q.q), containing(q.q), q.q] : [];
          const [counted, page] = await Promise.all([
            rows<RowDataPacket>(`SELECT COUNT(*) AS n FROM products ${where}`, values),
            rows<RowDataPacket>(
              `SELECT id, sku, name, description, price_cents, currency, stock, version FROM products ${where}
               ORDER BY name, id LIMIT ?`,
              [...values, q.limit],
            ),
          ]);
          return {
            total: Number(counted[0]?.n ?? 0),
            items: page.map((row) => ({
              productId: row.id as string,
              sku: row.sku as string,
              name: row.name as string,
              description: row.description as string | null,
              priceCents: Number(row.price_cents),
              currency: row.currency as string,
              stock: row.stock as number,
              version: row.version as number,
            })),
            nextCursor: null,
          };
        }),
      );
      app.get(
        '/stats/sales',
        get(async (req) => {
          const currency = parseInput(salesQuery, req.query, 'query').currency ?? 'EUR';
          const byStatus = await rows<RowDataPacket>(
            `SELECT status, COUNT(*) AS orders, SUM(total_cents) AS total, SUM(refund_cents) AS refunded
             FROM orders WHERE currency = ? GROUP BY status`,
            [currency],
          );
          const ordersByStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
          let grossRevenueCents = 0;
          let refundedCents = 0;
          for (const row of byStatus) {
            ordersByStatus[row.status as string] = Number(row.orders);
            if (row.status === 'PAID' || row.status === 'SHIPPED') grossRevenueCents += Number(row.total);
            refundedCents += Number(row.refunded ?? 0);
          }
          return {
            ordersPlaced: Object.values(ordersByStatus).reduce((sum, n) => sum + n, 0),
            ordersByStatus,
            grossRevenueCents,
            refundedCents,
            currency,
          };
        }),
      );
      app.get(
        '/stats/products/top',
        get(async (req) => {
          const q = parseInput(topProductsQuery, req.query, 'query');
          const top = await rows<RowDataPacket>(
            `SELECT l.product_id, p.sku, p.name, SUM(l.quantity) AS units, SUM(l.line_total_cents) AS revenue
             FROM order_lines l JOIN orders o ON o.id = l.order_id LEFT JOIN products p ON p.id = l.product_id
             WHERE o.status <> 'CANCELLED' GROUP BY l.product_id, p.sku, p.name
             ORDER BY units DESC, l.product_id LIMIT ?`,
            [q.limit],
          );
          return top.map((row) => ({
            productId: row.product_id as string,
            sku: row.sku as string | null,
            name: row.name as string | null,
            unitsSold: Number(row.units),
            revenueCents: Number(row.revenue),
          }));
        }),
      );
    },
  });
}
