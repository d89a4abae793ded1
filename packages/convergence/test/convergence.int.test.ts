// The checker against real servers: a write model seeded with SQL, read models seeded with what
// the projections make of the same orders, then broken one store at a time.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import {
  type OrderAnalyticsSnapshot,
  ORDERS_MAPPING,
  PRODUCTS_MAPPING,
  recomputeCounters,
} from '@cqrs-shop/projections';
import { AnalyticsReader, OrderHistoryReader, SearchReader } from '@cqrs-shop/read-models';
import { createScratchDatabase, repoRoot, type ScratchDatabase, uniqueName } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { createPool, type Pool } from 'mysql2/promise';
import {
  checkConvergence,
  type ConvergenceReport,
  type ConvergenceSources,
  type Difference,
} from '../src/index.js';
import type { WriteOrder, WriteProduct } from '../src/write-model.js';
import { writeOrder, writeProduct } from './fixtures.js';
import {
  projectedHistory,
  projectedLabel,
  projectedOrderSearch,
  projectedProductSearch,
  projectedSnapshot,
} from './projected.js';

const ADA = {
  customerId: 'c0000000-0000-4000-8000-00000000000a',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
};
const BOB = {
  customerId: 'c0000000-0000-4000-8000-00000000000b',
  name: 'Bob Hope',
  email: 'bob@example.com',
};

const MUG = writeProduct({ productId: 'a0000000-0000-4000-8000-000000000001', version: 4 });
const TEE = writeProduct({
  productId: 'a0000000-0000-4000-8000-000000000002',
  sku: 'TEE-1',
  name: 'Plain cotton shirt',
  description: null,
  priceCents: 2_500,
  stock: 30,
  version: 3,
});
/** Never ordered: a product document and label, but no counters. */
const KEY = writeProduct({
  productId: 'a0000000-0000-4000-8000-000000000003',
  sku: 'KEY-1',
  name: 'Brass key',
  priceCents: 300,
  stock: 0,
  version: 1,
});
const PRODUCTS = [MUG, TEE, KEY];

const line = (product: WriteProduct, quantity: number) => ({
  productId: product.productId,
  sku: product.sku,
  productName: product.name,
  quantity,
  unitPriceCents: product.priceCents,
  lineTotalCents: quantity * product.priceCents,
});

/** A paid order whose OrderPlaced event the outbox still holds: times compared exactly. */
const PAID = writeOrder({
  orderId: 'b0000000-0000-4000-8000-000000000001',
  customerId: ADA.customerId,
  customer: { name: ADA.name, email: ADA.email },
});
/**
 * A shipped order whose event the relay has purged, placed a moment before 11:00 by the command
 * service's clock and just after it by the database's: the analytics hour must still match.
 */
const SHIPPED = writeOrder({
  orderId: 'b0000000-0000-4000-8000-000000000002',
  customerId: BOB.customerId,
  customer: { name: BOB.name, email: BOB.email },
  status: 'SHIPPED',
  version: 3,
  lines: [line(TEE, 3)],
  totalCents: 7_500,
  placement: { recordedAt: '2026-11-24T11:00:00.003Z', eventOccurredAt: null },
});
const SHIPPED_EVENT_AT = '2026-11-24T10:59:59.998Z';
/** Paid, then cancelled with a refund. */
const REFUNDED = writeOrder({
  orderId: 'b0000000-0000-4000-8000-000000000003',
  customerId: ADA.customerId,
  customer: { name: ADA.name, email: ADA.email },
  status: 'CANCELLED',
  version: 3,
  lines: [line(MUG, 1)],
  totalCents: 1_200,
  refundCents: 1_200,
  placement: { recordedAt: '2026-11-24T12:30:00.007Z', eventOccurredAt: '2026-11-24T12:30:00.001Z' },
});
const ORDERS = [PAID, SHIPPED, REFUNDED];

/** When the projectors saw each order placed: the event's time. */
const eventTime = (order: WriteOrder) => order.placement.eventOccurredAt ?? SHIPPED_EVENT_AT;

const sqlTime = (iso: string) => iso.replace('T', ' ').replace('Z', '');

async function seedWriteModel(scratch: ScratchDatabase): Promise<void> {
  const db = scratch.connection;
  const now = sqlTime(new Date().toISOString());
  await db.query('INSERT INTO customers (id, name, email, version, created_at, updated_at) VALUES ?', [
    [ADA, BOB].map((c) => [c.customerId, c.name, c.email, 1, now, now]),
  ]);
  await db.query(
    `INSERT INTO products (id, sku, name, description, price_cents, currency, stock, version, created_at, updated_at)
     VALUES ?`,
    [
      PRODUCTS.map((p) => [
        p.productId,
        p.sku,
        p.name,
        p.description,
        p.priceCents,
        p.currency,
        p.stock,
        p.version,
        now,
        now,
      ]),
    ],
  );
  for (const order of ORDERS) {
    await db.query(
      `INSERT INTO orders (id, customer_id, status, total_cents, currency, refund_cents, version, placed_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        order.orderId,
        order.customerId,
        order.status,
        order.totalCents,
        order.currency,
        order.refundCents,
        order.version,
        sqlTime(order.placement.recordedAt),
        now,
      ],
    );
    await db.query(
      `INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, quantity, unit_price_cents, line_total_cents)
       VALUES ?`,
      [
        order.lines.map((l, i) => [
          order.orderId,
          i + 1,
          l.productId,
          l.sku,
          l.productName,
          l.quantity,
          l.unitPriceCents,
          l.lineTotalCents,
        ]),
      ],
    );
    if (order.placement.eventOccurredAt !== null)
      await insertPlacementEvent(scratch, order, order.placement.eventOccurredAt);
  }
}

/** The OrderPlaced row as the command service writes it (payload aside: the checker reads only the time). */
async function insertPlacementEvent(
  scratch: ScratchDatabase,
  order: WriteOrder,
  occurredAt: string,
): Promise<void> {
  await scratch.connection.query(
    `INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, aggregate_version, schema_fingerprint,
       payload, command_id, correlation_id, causation_id, occurred_at, published_at)
     VALUES (?, 'OrderPlaced', 'order', ?, 1, '0000000000000000', ?, ?, ?, ?, ?, ?)`,
    [
      randomUUID(),
      order.orderId,
      Buffer.from('not read'),
      randomUUID(),
      'test',
      randomUUID(),
      sqlTime(occurredAt),
      sqlTime(occurredAt),
    ],
  );
}

describe('checkConvergence (real MySQL, MongoDB, Elasticsearch and Redis)', () => {
  const mongoClient = new MongoClient(process.env.MONGODB_URL ?? '');
  const mongoDatabase = uniqueName('test_convergence');
  const mongo = mongoClient.db(mongoDatabase);
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const indexPrefix = uniqueName('test').toLowerCase();
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const keyPrefix = `${uniqueName('test')}:`;
  const aliases = new SearchReader(es, indexPrefix).aliases;
  const keys = new AnalyticsReader(redis, keyPrefix, 1).keys;
  const orderHistory = new OrderHistoryReader(mongo, 1);
  let scratch: ScratchDatabase;
  let pool: Pool;
  let sources: ConvergenceSources;

  async function seedReadModels(): Promise<void> {
    await orderHistory.orders.insertMany(ORDERS.map((order) => projectedHistory(order, eventTime(order))));

    for (const [alias, mappings] of [
      [aliases.orders, ORDERS_MAPPING],
      [aliases.products, PRODUCTS_MAPPING],
    ] as const)
      await es.indices.create({
        index: `${alias}-v1`,
        mappings,
        aliases: { [alias]: { is_write_index: true } },
      });
    for (const order of ORDERS)
      await es.index({
        index: aliases.orders,
        id: order.orderId,
        document: projectedOrderSearch(order, eventTime(order)),
      });
    for (const product of PRODUCTS)
      await es.index({
        index: aliases.products,
        id: product.productId,
        document: projectedProductSearch(product),
      });

    const snapshots: OrderAnalyticsSnapshot[] = ORDERS.map((order) =>
      projectedSnapshot(order, eventTime(order)),
    );
    for (const snapshot of snapshots) await redis.set(keys.order(snapshot.orderId), JSON.stringify(snapshot));
    for (const product of PRODUCTS)
      await redis.hset(keys.productLabels, product.productId, JSON.stringify(projectedLabel(product)));
    // The counters as the projector's increments leave them: hashes, and a sorted set of units.
    const counters = recomputeCounters(snapshots);
    await redis.hset(keys.totals, 'ordersPlaced', counters.ordersPlaced);
    await redis.hset(keys.ordersByStatus, counters.ordersByStatus);
    await redis.hset(keys.revenue, counters.grossRevenueCents);
    await redis.hset(keys.refunds, counters.refundedCents);
    await redis.hset(keys.ordersPerHour, counters.ordersPerHour);
    await redis.hset(keys.productRevenue, counters.productRevenueCents);
    for (const [productId, units] of Object.entries(counters.productUnits))
      await redis.zadd(keys.productUnits, units, productId);
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    await scratch.migrate();
    pool = createPool({ ...scratch.settings, connectionLimit: 4 });
    sources = { mysql: pool, mongo, es, redis, indexPrefix, keyPrefix };
    await seedWriteModel(scratch);
    await seedReadModels();
  });

  afterAll(async () => {
    await pool.end();
    await scratch.drop();
    await mongo.dropDatabase();
    await mongoClient.close();
    await es.indices.delete({ index: [`${aliases.orders}-v1`, `${aliases.products}-v1`] }, { ignore: [404] });
    await es.close();
    const stored = await redis.keys(`${keyPrefix}*`);
    if (stored.length > 0) await redis.del(...stored);
    redis.disconnect();
  });

  /** Batches of two, so that every scan takes more than one page. */
  const check = (options: Parameters<typeof checkConvergence>[1] = {}) =>
    checkConvergence(sources, { batchSize: 2, ...options });

  it('finds no difference in read models the projections made from the same orders', async () => {
    const report = await check();
    expect(report).toEqual({
      converged: true,
      differenceCount: 0,
      readModels: [
        { readModel: 'order-history', compared: 3, differenceCount: 0, differences: [] },
        // Orders and products.
        { readModel: 'search', compared: 6, differenceCount: 0, differences: [] },
        // Orders, products and the seven counters.
        { readModel: 'analytics', compared: 13, differenceCount: 0, differences: [] },
      ],
    } satisfies ConvergenceReport);
  });

  it('checks only the read models asked for', async () => {
    const report = await check({ readModels: ['analytics', 'search'] });
    expect(report.readModels.map((r) => r.readModel)).toEqual(['search', 'analytics']);
    await expect(check({ readModels: ['customers' as 'search'] })).rejects.toThrow(RangeError);
  });

  describe('with one thing broken in each store', () => {
    const stray = randomUUID();

    beforeAll(async () => {
      await orderHistory.orders.updateOne({ _id: PAID.orderId }, { $set: { status: 'PLACED' } });
      await orderHistory.orders.insertOne(projectedHistory({ ...PAID, orderId: stray }, eventTime(PAID)));
      await es.delete({ index: aliases.products, id: TEE.productId, refresh: true });
      await redis.hincrby(keys.ordersByStatus, 'SHIPPED', 1);
      await redis.set(
        keys.order(stray),
        JSON.stringify(projectedSnapshot({ ...PAID, orderId: stray }, eventTime(PAID))),
      );
    });

    it('reports each difference with its aggregate and field', async () => {
      const report = await check();
      expect(report.converged).toBe(false);
      expect(report.differenceCount).toBe(5);
      const [history, search, analytics] = report.readModels;
      // Order history reports in the order its scan meets documents.
      expect(sortedByAggregate(history?.differences ?? [])).toEqual(
        sortedByAggregate([
          {
            kind: 'field',
            readModel: 'order-history',
            aggregate: `order:${PAID.orderId}`,
            field: 'status',
            expected: 'PAID',
            actual: 'PLACED',
          },
          {
            kind: 'extra',
            readModel: 'order-history',
            aggregate: `order:${stray}`,
            field: 'version',
            expected: null,
            actual: 2,
          },
        ]),
      );
      expect(search?.differences).toEqual([
        {
          kind: 'missing',
          readModel: 'search',
          aggregate: `product:${TEE.productId}`,
          field: 'version',
          expected: 3,
          actual: null,
        },
      ]);
      expect(analytics?.differences).toEqual([
        {
          kind: 'field',
          readModel: 'analytics',
          aggregate: 'counter:ordersByStatus',
          field: 'SHIPPED',
          expected: 1,
          actual: 2,
        },
        {
          kind: 'extra',
          readModel: 'analytics',
          aggregate: `order:${stray}`,
          field: 'version',
          expected: null,
          actual: 2,
        },
      ]);
    });

    it('counts every difference but lists only the first ones', async () => {
      const report = await check({ readModels: ['analytics'], maxDifferences: 1 });
      expect(report.readModels[0]).toMatchObject({
        differenceCount: 2,
        differences: [{ aggregate: 'counter:ordersByStatus' }],
      });
    });

    describe('the built command, cqrs check convergence', () => {
      const cli = join(repoRoot, 'tools/cqrs/dist/cli.js');

      const env = (): Record<string, string> => ({
        ...scratch.env,
        MONGODB_URL: process.env.MONGODB_URL ?? '',
        MONGODB_DATABASE: mongoDatabase,
        ELASTICSEARCH_URL: process.env.ELASTICSEARCH_URL ?? '',
        ELASTICSEARCH_INDEX_PREFIX: indexPrefix,
        REDIS_URL: process.env.REDIS_URL ?? '',
        REDIS_KEY_PREFIX: keyPrefix,
      });

      beforeAll(() => {
        if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm build)`);
      });

      it('prints the report as JSON and exits 1', async () => {
        const run = await runCommand(cli, ['--json'], env());
        expect(run.stderr).toBe('');
        expect(run.status).toBe(1);
        const report = JSON.parse(run.stdout) as ConvergenceReport;
        expect(report).toMatchObject({ converged: false, differenceCount: 5 });
        expect(report.readModels.map((r) => [r.readModel, r.compared, r.differenceCount])).toEqual([
          ['order-history', 3, 2],
          ['search', 6, 1],
          ['analytics', 13, 2],
        ]);
        expect(report.readModels[1]?.differences[0]).toMatchObject({ aggregate: `product:${TEE.productId}` });
      });

      it('prints a summary of the read models asked for, listing up to --limit differences', async () => {
        const run = await runCommand(cli, ['--read-model', 'analytics', '--limit', '1'], env());
        expect(run.status).toBe(1);
        expect(run.stdout).toBe(
          [
            'analytics  13 aggregates compared, 2 differences',
            '  counter:ordersByStatus SHIPPED: expected 1, found 2',
            '  … and 1 more (--limit N lists more)',
            '',
            'Not converged: 2 differences.',
            '',
          ].join('\n'),
        );
      });

      it('exits 0 when the read models asked for match', async () => {
        await orderHistory.orders.updateOne({ _id: PAID.orderId }, { $set: { status: 'PAID' } });
        await orderHistory.orders.deleteOne({ _id: stray });
        const run = await runCommand(cli, ['--read-model=order-history'], env());
        expect(run.status).toBe(0);
        expect(run.stdout).toContain('Converged');
      });

      it('exits 64 naming an unknown option', async () => {
        const run = await runCommand(cli, ['--verbose'], env());
        expect(run.status).toBe(64);
        expect(run.stderr).toContain("unknown option '--verbose'");
        expect(run.stdout).toBe('');
      });

      it('exits 78 naming a bad or missing variable', async () => {
        const run = await runCommand(cli, ['--json'], {
          ...env(),
          REDIS_URL: 'localhost:6379',
          MONGODB_URL: '',
        });
        expect(run.status).toBe(78);
        expect(run.stderr).toContain('REDIS_URL');
        expect(run.stderr).toContain('MONGODB_URL');
        expect(run.stdout).toBe('');
      });

      it('exits 2 when a server cannot be reached', async () => {
        // Nothing listens on port 9 (discard) of the loopback interface.
        const run = await runCommand(cli, ['--json'], { ...env(), MYSQL_PORT: '9' });
        expect(run.status).toBe(2);
      });
    });
  });
});

const sortedByAggregate = (differences: readonly Difference[]) =>
  [...differences].sort((a, b) => (a.aggregate < b.aggregate ? -1 : a.aggregate > b.aggregate ? 1 : 0));

interface CommandRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <script> check convergence ...args` with exactly `env` (plus PATH) and waits for it to exit. */
function runCommand(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [script, 'check', 'convergence', ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 50_000 },
      (_error, stdout, stderr) => {
        resolve({ status: child.exitCode, stdout, stderr });
      },
    );
  });
}
