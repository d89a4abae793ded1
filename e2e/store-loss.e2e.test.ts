import { randomUUID } from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { analyticsKeys, orderViewKeys } from '@cqrs-shop/read-models';
import { dropIndices, type ProjectorService, type RunningSuite, waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import {
  checkConvergence,
  expectConverged,
  seedCatalogue,
  startOrderLoad,
  succeed,
  suiteForTests,
} from './support';

const PROJECTORS = {
  'projector-order-history': 'order-history',
  'projector-search': 'search',
  'projector-analytics': 'analytics',
} as const satisfies Record<ProjectorService, string>;

interface Status {
  readonly name: string;
  readonly healthy: boolean;
  readonly rebuilding: boolean;
  readonly lagEvents: number | null;
  readonly parkedAggregates: number | null;
  /** The version of the read model the projector writes. */
  readonly version: number | null;
}

/** The largest integer every reader of a counter holds exactly. */
const EXACT_LIMIT = Number.MAX_SAFE_INTEGER;

describe('read models whose store lost data (real servers and processes)', () => {
  // Small batches make the replay long enough to be watched.
  const small = { PROJECTOR_BATCH_SIZE: '1' };
  const running = suiteForTests({
    env: { 'projector-order-history': small, 'projector-search': small, 'projector-analytics': small },
  });
  const mongo = new MongoClient(process.env.MONGODB_URL ?? '');
  const es = new ElasticsearchClient({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const redis = new Redis(process.env.REDIS_URL ?? '');

  afterAll(async () => {
    await mongo.close();
    await es.close();
    redis.disconnect();
  });

  /** A catalogue, then at least `commands` commands of orders, applied by every projector. */
  async function placeOrders(suite: RunningSuite, commands: number) {
    const catalogue = await seedCatalogue(suite, randomUUID().slice(0, 8));
    const load = startOrderLoad(suite, catalogue.customers, catalogue.products, 4);
    await waitFor(`${commands} commands`, () => load.commands() >= commands, { timeoutMs: 120_000 });
    await load.stop();
    await suite.caughtUp();
    return catalogue;
  }

  const projections = async (suite: RunningSuite) =>
    (await suite.ops<{ projections: Status[] }>('/projections')).body.projections;

  it('changes no counter when an increment would leave the exact range, and parks the order with the reason', async () => {
    const suite = running();
    const suffix = randomUUID().slice(0, 8);
    const { customerId } = await succeed<{ customerId: string }>(suite, '/customers', {
      name: `Big spender ${suffix}`,
      email: `big.${suffix}@example.com`,
    });
    const { productId } = await succeed<{ productId: string }>(suite, '/products', {
      sku: `BIG-${suffix}`,
      name: 'Gold bar',
      priceCents: 10_000,
      currency: 'CHF',
      stock: 10,
    });
    const placed = await succeed<{ orderId: string }>(suite, '/orders', {
      customerId,
      items: [{ productId, quantity: 1 }],
    });
    // Read through its token: the order is counted before its revenue is pushed to the edge.
    const sales = async () => (await suite.query('/stats/sales?currency=CHF')).body;
    await waitFor('the order to be counted', async () => {
      const answer = await suite.query('/stats/sales?currency=CHF', {
        'X-Consistency-Token': placed.consistencyToken,
      });
      return answer.status === 200;
    });
    const keys = analyticsKeys(suite.names.keyPrefix, 1);
    await redis.hset(keys.revenue, 'CHF', String(EXACT_LIMIT - 5_000));
    const before = await sales();

    await succeed(suite, `/orders/${placed.orderId}/pay`);
    await waitFor(
      'the payment to be parked',
      async () => (await projections(suite)).find((p) => p.name === 'analytics')?.parkedAggregates === 1,
      { timeoutMs: 30_000 },
    );
    expect(await sales()).toEqual(before);
    expect(await redis.hget(keys.revenue, 'CHF')).toBe(String(EXACT_LIMIT - 5_000));
    const detail = await suite.send<{ version: number; parked: { aggregateKey: string; reason: string }[] }>(
      'projector-analytics',
      'GET',
      '/projection',
    );
    // What the gateway polls: the positions, from memory, without what only the store knows.
    const positions = await suite.send<Record<string, unknown>>(
      'projector-analytics',
      'GET',
      '/projection/lag',
    );
    expect(positions.body).toMatchObject({ running: true, version: detail.body.version });
    expect(Object.keys(positions.body)).not.toContain('parked');
    expect(detail.body.parked).toEqual([
      {
        aggregateKey: `order:${placed.orderId}`,
        reason: expect.stringMatching(
          /^refused by the store: .*gross-revenue-cents CHF would go beyond 2\^53-1/,
        ) as unknown,
      },
    ]);
  }, 120_000);

  it('writes the order views again when Redis lost them under a running projector, answering from the documents meanwhile', async () => {
    const suite = running();
    const { customers, products } = await placeOrders(suite, 100);
    const live = (await projections(suite)).find((p) => p.name === 'order-history')?.version;
    const keys = orderViewKeys(suite.names.keyPrefix, live ?? 1);
    const pageOf = async (customerId: string) =>
      (
        await suite.query<{ items: { orderId: string; version: number }[] }>(
          `/customers/${customerId}/orders?limit=50`,
        )
      ).body;
    const before = await Promise.all(customers.map(pageOf));
    expect(await redis.exists(keys.complete)).toBe(1);

    const lost = await redis.keys(keys.pattern);
    expect(lost.length).toBeGreaterThan(before.flatMap((p) => p.items).length);
    await redis.del(...lost);
    // From the documents now, the same answers.
    expect(await Promise.all(customers.map(pageOf))).toEqual(before);

    // The next checkpoint finds the views' gone: the projector replays and completes them.
    const placed = await succeed<{ orderId: string }>(suite, '/orders', {
      customerId: customers[0],
      items: [{ productId: products[0], quantity: 1 }],
    });
    await waitFor('the views to be complete again', async () => (await redis.exists(keys.complete)) === 1, {
      timeoutMs: 120_000,
    });
    await suite.caughtUp();
    const order = await suite.query<{ orderId: string }>(`/orders/${placed.orderId}`, {
      'X-Consistency-Token': placed.consistencyToken,
    });
    expect(order.body).toMatchObject({ orderId: placed.orderId });
    expect(await redis.exists(keys.order(placed.orderId))).toBe(1);
    const outcome = await checkConvergence(suite, ['order-history']);
    expect(outcome.report.readModels.map((r) => [r.readModel, r.differences])).toEqual([
      ['order-history', []],
    ]);

    // A view that says something else than the order is found by the checker.
    const entry = (await redis.get(keys.order(placed.orderId))) ?? '';
    await redis.set(keys.order(placed.orderId), entry.replace('"status":"PLACED"', '"status":"SHIPPED"'));
    const broken = await checkConvergence(suite, ['order-history']);
    expect(broken.report.readModels[0]?.differences).toEqual([
      expect.objectContaining({
        aggregate: `order:${placed.orderId}`,
        field: 'view.status',
        expected: 'PLACED',
        actual: 'SHIPPED',
      }),
    ]);
  }, 300_000);

  it('replays each read model whose store was emptied while its projector was away, shows it rebuilding, and ends equal to the write model', async () => {
    const suite = running();
    await placeOrders(suite, 600);

    for (const projector of Object.keys(PROJECTORS) as ProjectorService[]) await suite.stop(projector);
    // Everything each store held of the suite: data, versions, checkpoints, parking.
    await mongo.db(suite.names.mongoDatabase).dropDatabase();
    await dropIndices(es, suite.names.indexPrefix);
    const keys = await redis.keys(`${suite.names.keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);

    // One at a time, each watched from its start until it says it has caught up.
    for (const [projector, name] of Object.entries(PROJECTORS)) {
      await suite.start(projector as ProjectorService);
      const seen = new Set<string>();
      await waitFor(
        `${name} to be healthy and caught up`,
        async () => {
          const status = (await projections(suite)).find((p) => p.name === name);
          if (!status) return false;
          const caughtUp = status.healthy && !status.rebuilding && status.lagEvents === 0;
          seen.add(status.rebuilding ? 'rebuilding' : caughtUp ? 'caught-up' : 'behind');
          return caughtUp;
        },
        { timeoutMs: 180_000, intervalMs: 20 },
      );
      expect([name, [...seen]]).toEqual([name, expect.arrayContaining(['rebuilding']) as unknown]);
      // The moment it said so, nothing was missing.
      const outcome = await checkConvergence(suite, [name]);
      expect(outcome.report.readModels.map((r) => [r.readModel, r.differences])).toEqual([[name, []]]);
    }
    await expectConverged(suite);
  }, 300_000);
});
