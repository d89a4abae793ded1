// Writing a seeded history's end state into the suite's write model (MySQL) in bulk: the rows
// the command service would hold after committing every command of that history.
import type { RunningSuite } from '@cqrs-shop/testing';
import { createConnection } from 'mysql2/promise';
import type { ShopHistory } from './history.js';

/** Rows per INSERT. */
const CHUNK = 2_000;

/**
 * Inserts the customers, products, orders and order lines of `history` (which must have been
 * written to its end) into the suite's database. The outbox stays empty: the events went to
 * the topics directly, as if published long ago.
 */
export async function insertWriteModel(suite: RunningSuite, history: ShopHistory): Promise<void> {
  const connection = await createConnection({ ...suite.database.settings, timezone: 'Z' });
  const at = (ms: number) => new Date(ms);
  const insert = async (table: string, columns: readonly string[], rows: Iterable<unknown[]>) => {
    let chunk: unknown[][] = [];
    const flush = async () => {
      if (chunk.length > 0)
        await connection.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [chunk]);
      chunk = [];
    };
    for (const row of rows) {
      chunk.push(row);
      if (chunk.length === CHUNK) await flush();
    }
    await flush();
  };
  try {
    // Every reference is known to hold; checking each would only slow the load down.
    await connection.query('SET SESSION foreign_key_checks = 0');
    await insert(
      'customers',
      ['id', 'name', 'given_name', 'family_name', 'email', 'version', 'created_at', 'updated_at'],
      history.customers.map((c) => [
        c.id,
        c.name,
        c.splitName ? c.givenName : null,
        c.splitName ? c.familyName : null,
        c.email,
        1,
        at(c.registeredAt),
        at(c.registeredAt),
      ]),
    );
    await insert(
      'products',
      [
        'id',
        'sku',
        'name',
        'description',
        'price_cents',
        'currency',
        'stock',
        'version',
        'created_at',
        'updated_at',
      ],
      history.products.map((p) => [
        p.id,
        p.sku,
        p.name,
        p.description,
        p.priceCents,
        'EUR',
        p.stock,
        p.version,
        at(p.addedAt),
        at(p.updatedAt),
      ]),
    );
    await insert(
      'orders',
      [
        'id',
        'customer_id',
        'status',
        'total_cents',
        'currency',
        'channel',
        'refund_cents',
        'version',
        'placed_at',
        'updated_at',
      ],
      history.orders.map((o) => [
        o.id,
        history.customers[o.customer]?.id,
        o.status,
        o.totalCents,
        'EUR',
        o.channel,
        o.refundCents,
        o.version,
        at(o.placedAt),
        at(o.updatedAt),
      ]),
    );
    await insert(
      'order_lines',
      [
        'order_id',
        'line_no',
        'product_id',
        'sku',
        'product_name',
        'quantity',
        'unit_price_cents',
        'line_total_cents',
      ],
      (function* () {
        for (const o of history.orders)
          for (const [i, l] of o.lines.entries())
            yield [
              o.id,
              i + 1,
              l.productId,
              l.sku,
              l.productName,
              l.quantity,
              l.unitPriceCents,
              l.lineTotalCents,
            ];
      })(),
    );
  } finally {
    await connection.end();
  }
}
