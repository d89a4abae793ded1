import { randomUUID } from 'node:crypto';
import { eventTopics } from '@cqrs-shop/events';
import { orderHistoryCollections, searchAliases } from '@cqrs-shop/read-models';
import { PROJECTORS } from '@cqrs-shop/service-registry';
import { type ProjectorService, type RunningSuite, waitFor } from '@cqrs-shop/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { checkConvergence, expectConverged, succeed, suiteForTests } from './support';

const COMMANDS = 1_000;
const CLIENTS = 12;

describe('projectors killed mid-burst, then every topic replayed into the same read models', () => {
  const running = suiteForTests();
  const mongo = new MongoClient(process.env.MONGODB_URL ?? '');
  const es = new ElasticsearchClient({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const redis = new Redis(process.env.REDIS_URL ?? '');

  afterAll(async () => {
    await mongo.close();
    await es.close();
    redis.disconnect();
  });

  /** Everything each read model holds, in a stable order, to compare before and after. */
  async function readModelContents(suite: RunningSuite) {
    const db = mongo.db(suite.names.mongoDatabase);
    const aliases = searchAliases(suite.names.indexPrefix);
    await es.indices.refresh({ index: [aliases.orders, aliases.products] });
    const searchDocuments = async (index: string, idField: string) =>
      (
        await es.search({ index, size: 10_000, sort: [{ [idField]: 'asc' }], query: { match_all: {} } })
      ).hits.hits.map((hit) => [hit._id, hit._source]);
    const keys = (await redis.keys(`${suite.names.keyPrefix}*`)).sort();
    const redisValues = await Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        if (type === 'hash') return [key, await redis.hgetall(key)];
        if (type === 'zset') return [key, await redis.zrange(key, 0, -1, 'WITHSCORES')];
        return [key, await redis.get(key)];
      }),
    );
    return {
      orders: await db.collection(orderHistoryCollections(1).orders).find().sort({ _id: 1 }).toArray(),
      customers: await db.collection(orderHistoryCollections(1).customers).find().sort({ _id: 1 }).toArray(),
      searchOrders: await searchDocuments(aliases.orders, 'orderId'),
      searchProducts: await searchDocuments(aliases.products, 'productId'),
      redis: redisValues,
    };
  }

  it('ends converged after SIGKILLs during a burst of 1,000 commands, with no counter counted twice', async () => {
    const suite = running();
    const suffix = randomUUID().slice(0, 8);
    const customers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        succeed<{ customerId: string }>(suite, '/customers', {
          name: `Burst ${i} ${suffix}`,
          email: `burst.${i}.${suffix}@example.com`,
        }),
      ),
    );
    const products = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        succeed<{ productId: string }>(suite, '/products', {
          sku: `BST-${i}-${suffix}`,
          name: `Burst item ${i}`,
          priceCents: 100 * (i + 1),
          currency: 'EUR',
          stock: 100_000,
        }),
      ),
    );

    // Order lifecycles of one to three commands each, until 1,000 commands have been answered.
    let sent = 0;
    const kills: Promise<unknown>[] = [];
    const killAt = new Map<number, ProjectorService>([
      [250, 'projector-order-history'],
      [450, 'projector-search'],
      [650, 'projector-analytics'],
    ]);
    const next = () => {
      sent++;
      const victim = killAt.get(sent);
      if (victim)
        kills.push(
          suite.stop(victim, 'SIGKILL').then(async (exit) => {
            expect(exit?.signal).toBe('SIGKILL');
            await suite.start(victim);
          }),
        );
      return sent <= COMMANDS;
    };
    const client = async (n: number) => {
      for (let i = 0; next(); i++) {
        const customer = customers[(n + i) % customers.length];
        const product = products[(n * 7 + i) % products.length];
        const { orderId } = await succeed<{ orderId: string }>(suite, '/orders', {
          customerId: customer?.customerId,
          items: [{ productId: product?.productId, quantity: 1 + (i % 3) }],
        });
        const fate = (n + i) % 4;
        if (fate === 0 || !next()) continue;
        await succeed(suite, `/orders/${orderId}/${fate === 1 ? 'cancel' : 'pay'}`);
        if (fate !== 3 || !next()) continue;
        await succeed(suite, `/orders/${orderId}/${i % 2 ? 'ship' : 'cancel'}`);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    await Promise.all(kills);
    expect(kills).toHaveLength(3);

    const outcome = await expectConverged(suite);
    expect(outcome.code).toBe(0);
    // And the counters agree with the write model's own count.
    const [rows] = await suite.database.connection.query('SELECT COUNT(*) AS n FROM orders');
    const sales = await suite.query<{ ordersPlaced: number }>('/stats/sales');
    expect(sales.body.ordersPlaced).toBe(Number((rows as { n: number }[])[0]?.n));
  }, 300_000);

  it('changes nothing when every topic is consumed again from the beginning into the live version', async () => {
    const suite = running();
    const before = await readModelContents(suite);
    expect(before.orders.length).toBeGreaterThan(300);

    // The live groups are moved back to the beginning of every topic while their projectors are down.
    const kafka = new Kafka({
      brokers: suite.env.KAFKA_BROKERS?.split(',') ?? [],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topics = eventTopics(suite.names.topicPrefix);
    try {
      for (const { name: projector, projection } of PROJECTORS) {
        await suite.stop(projector);
        // Offsets can only be moved in an empty group. A member killed in the test above stays
        // in it until its session times out, even after the projector stopped cleanly.
        const groupId = suite.names.groupId(projector);
        await waitFor(
          `${groupId} to be empty`,
          async () => (await admin.describeGroups([groupId])).groups[0]?.state === 'Empty',
          { timeoutMs: 30_000 },
        );
        for (const type of projection.reads)
          await admin.resetOffsets({
            groupId,
            topic: topics[type],
            earliest: true,
          });
        await suite.start(projector);
      }
    } finally {
      await admin.disconnect();
    }
    await suite.caughtUp();

    expect(await readModelContents(suite)).toEqual(before);
    const outcome = await checkConvergence(suite);
    expect(outcome.report.differenceCount).toBe(0);
  }, 300_000);
});
