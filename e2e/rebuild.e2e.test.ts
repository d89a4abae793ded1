import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { eventTopics } from '@cqrs-shop/events';
import { analyticsKeys, orderHistoryCollections, searchIndices } from '@cqrs-shop/read-models';
import { type RunningSuite, waitFor } from '@cqrs-shop/testing';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import {
  cqrs,
  expectConverged,
  seedCatalogue,
  startCqrs,
  startOrderLoad,
  succeed,
  suiteForTests,
} from './support';

const READ_MODELS = ['order-history', 'search', 'analytics'] as const;
type ReadModel = (typeof READ_MODELS)[number];

interface Listed {
  projections: { name: ReadModel; liveVersion: number; versions: { version: number; state: string }[] }[];
}

describe('rebuilding projections from the topics, side by side, while commands flow', () => {
  const running = suiteForTests();
  const mongo = new MongoClient(process.env.MONGODB_URL ?? '');
  const es = new ElasticsearchClient({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const redis = new Redis(process.env.REDIS_URL ?? '');
  let catalogue: { customers: string[]; products: string[] };

  afterAll(async () => {
    await mongo.close();
    await es.close();
    redis.disconnect();
  });

  /** Everything one version of a read model holds, with the version left out of key names. */
  async function contents(suite: RunningSuite, model: ReadModel, version: number): Promise<unknown> {
    switch (model) {
      case 'order-history': {
        const db = mongo.db(suite.names.mongoDatabase);
        const names = orderHistoryCollections(version);
        return {
          orders: await db.collection(names.orders).find().sort({ _id: 1 }).toArray(),
          customers: await db.collection(names.customers).find().sort({ _id: 1 }).toArray(),
        };
      }
      case 'search': {
        const indices = searchIndices(suite.names.indexPrefix, version);
        await es.indices.refresh({ index: [indices.orders, indices.products, indices.customers] });
        const all = async (index: string, idField: string) =>
          (
            await es.search({ index, size: 10_000, sort: [{ [idField]: 'asc' }], query: { match_all: {} } })
          ).hits.hits.map((hit) => [hit._id, hit._source]);
        return {
          orders: await all(indices.orders, 'orderId'),
          products: await all(indices.products, 'productId'),
          customers: await all(indices.customers, 'customerId'),
        };
      }
      case 'analytics': {
        const { pattern } = analyticsKeys(suite.names.keyPrefix, version);
        const marker = `:v${version}:`;
        const keys = (await redis.keys(pattern)).sort();
        return Promise.all(
          keys.map(async (key) => {
            const type = await redis.type(key);
            const value =
              type === 'hash'
                ? await redis.hgetall(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                  : await redis.get(key);
            return [key.replace(marker, ':v*:'), value];
          }),
        );
      }
    }
  }

  async function list(suite: RunningSuite): Promise<Listed> {
    const listed = await cqrs(suite, ['projections', 'list', '--json']);
    expect(listed.code).toBe(0);
    const parsed = JSON.parse(listed.stdout) as Listed & {
      outbox: { known: boolean; backlog: number | null };
    };
    // The outbox is listed under the projections, as the relay counted it.
    expect(parsed.outbox).toMatchObject({ known: true, backlog: expect.any(Number) as unknown });
    return parsed;
  }

  /** Makes `version` the live one of every read model, and waits until the projectors follow. */
  async function switchAll(suite: RunningSuite, version: number): Promise<void> {
    for (const model of READ_MODELS)
      expect((await cqrs(suite, ['projections', 'switch', model, String(version)])).code).toBe(0);
    await waitFor(
      `every projector to follow the switch to version ${version}`,
      async () => {
        const { projections } = (
          await suite.ops<{ projections: { version: number; liveVersion: number }[] }>('/projections')
        ).body;
        // The pointer has moved, and each projector writes into the version it points at.
        return projections.every((p) => p.liveVersion === version && p.version === version);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await suite.caughtUp();
  }

  /**
   * Makes `live` the live version again (its projector catches it up from its own offsets), so
   * that it and `rebuilt` both hold every event, and compares them.
   */
  async function expectSameAsLiveBuilt(
    suite: RunningSuite,
    liveBuilt: number,
    rebuilt: number,
  ): Promise<void> {
    await switchAll(suite, liveBuilt);
    for (const model of READ_MODELS)
      expect(await contents(suite, model, rebuilt)).toEqual(await contents(suite, model, liveBuilt));
    // And forward again, so that the next test starts from the rebuilt versions.
    await switchAll(suite, rebuilt);
  }

  it('rebuilds all three while hundreds of commands a second flow, switches, and converges to what the live projection built', async () => {
    const suite = running();
    catalogue = await seedCatalogue(suite, randomUUID().slice(0, 8));
    // A history to replay.
    const warmUp = startOrderLoad(suite, catalogue.customers, catalogue.products, 16);
    await waitFor('a history of 500 commands', () => warmUp.commands() >= 500, {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    await warmUp.stop();
    await suite.caughtUp();

    // As many commands as the machine takes, for the first 10 s of the replay; then a trickle that
    // goes on through the switch. (Under the full load the projections here fall behind the
    // topics, so the rebuild could never catch up with the head while it lasts.)
    const burst = startOrderLoad(suite, catalogue.customers, catalogue.products, 12);
    const rebuilding = startCqrs(suite, ['projections', 'rebuild', 'all', '--json']);
    await Promise.race([delay(10_000), rebuilding.exited]);
    const during = await burst.stop();
    process.stdout.write(
      `commands during the rebuild's first ${during.seconds.toFixed(1)} s: ${during.commands} (${during.perSecond}/s)\n`,
    );
    const trickle = startOrderLoad(suite, catalogue.customers, catalogue.products, 2, 200);
    const code = await rebuilding.exited;
    const throughSwitch = await trickle.stop();
    const rebuild = { code, lines: rebuilding.lines() };
    expect(throughSwitch.commands).toBeGreaterThan(0);
    expect(rebuild.code).toBe(0);
    const results = rebuild.lines.filter((line) => line.type === 'result');
    expect(
      results.map((r) => [r.name, r.outcome, r.version, r.previousVersion, r.handedOver]).sort(),
    ).toEqual([
      ['analytics', 'switched', 2, 1, true],
      ['order-history', 'switched', 2, 1, true],
      ['search', 'switched', 2, 1, true],
    ]);
    expect(rebuild.lines.some((line) => line.type === 'progress' && line.phase === 'replaying')).toBe(true);
    expect(during.commands).toBeGreaterThan(0);

    const listed = await list(suite);
    for (const projection of listed.projections) {
      expect(projection.liveVersion).toBe(2);
      expect(projection.versions.map((v) => [v.version, v.state])).toEqual([
        [1, 'retired'],
        [2, 'live'],
      ]);
    }
    await expectConverged(suite);
    await expectSameAsLiveBuilt(suite, 1, 2);
  }, 600_000);

  it('resumes a rebuild killed halfway from its committed offsets, with the same clean result', async () => {
    const suite = running();
    const load = startOrderLoad(suite, catalogue.customers, catalogue.products, 2, 200);
    // One process per projection, one partition at a time, so that each has a middle to be
    // killed in: each is killed once it has applied a quarter of its events.
    await Promise.all(
      READ_MODELS.map(async (model) => {
        // Progress every 20 ms: the replay of a few thousand events takes well over that.
        const run = startCqrs(suite, ['projections', 'rebuild', model, '--json', '--concurrency', '1'], {
          REBUILD_PROGRESS_INTERVAL: '20ms',
        });
        await waitFor(
          `the ${model} rebuild to be a quarter done`,
          () =>
            run.lines().some((line) => {
              const progress = line.progress as { applied: number; total: number } | undefined;
              // Not done: the last 'replaying' report comes right before the switch.
              return (
                line.phase === 'replaying' &&
                progress !== undefined &&
                progress.total > 0 &&
                progress.applied >= progress.total / 4 &&
                progress.applied < progress.total
              );
            }),
          { timeoutMs: 120_000, intervalMs: 20 },
        );
        run.child.kill('SIGKILL');
        await run.exited;
      }),
    );
    const halfway = await list(suite);
    for (const projection of halfway.projections) {
      expect(projection.liveVersion).toBe(2);
      expect(projection.versions.find((v) => v.version === 3)?.state).toBe('rebuilding');
    }
    // The gateway shows the same, with the progress each rebuild recorded before it was killed.
    await waitFor(
      'the gateway to show the unfinished rebuilds',
      async () => {
        const { projections } = (
          await suite.ops<{
            projections: {
              liveVersion: number;
              versions: { version: number; state: string; progress: { applied: number } | null }[] | null;
            }[];
          }>('/projections')
        ).body;
        return projections.every((p) => {
          const rebuilding = p.versions?.find((v) => v.version === 3);
          return (
            p.liveVersion === 2 &&
            rebuilding?.state === 'rebuilding' &&
            (rebuilding.progress?.applied ?? 0) > 0
          );
        });
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );

    const second = await cqrs(suite, ['projections', 'rebuild', 'all', '--json']);
    await load.stop();
    expect(second.code).toBe(0);
    const results = second.lines.filter((line) => line.type === 'result');
    expect(results.map((r) => [r.name, r.outcome, r.version, r.resumed]).sort()).toEqual([
      ['analytics', 'switched', 3, true],
      ['order-history', 'switched', 3, true],
      ['search', 'switched', 3, true],
    ]);
    await expectConverged(suite);
    await expectSameAsLiveBuilt(suite, 2, 3);
  }, 600_000);

  it('builds a point-in-time version that shows an order placed before the instant and not one placed after', async () => {
    const suite = running();
    const [customerId] = catalogue.customers;
    const [productId] = catalogue.products;
    const place = () =>
      succeed<{ orderId: string }>(suite, '/orders', { customerId, items: [{ productId, quantity: 2 }] });
    await suite.caughtUp();
    const base = (await suite.query<{ ordersPlaced: number }>('/stats/sales')).body.ordersPlaced;
    const before = await place();
    await delay(100);
    const instant = new Date().toISOString();
    await delay(100);
    const after = await place();
    await succeed(suite, `/orders/${before.orderId}/pay`);
    await suite.caughtUp();
    const built = await cqrs(suite, ['projections', 'rebuild', 'all', '--until', instant, '--json']);
    expect(built.code).toBe(0);
    const results = built.lines.filter((line) => line.type === 'result');
    expect(results.map((r) => [r.name, r.outcome]).sort()).toEqual([
      ['analytics', 'point-in-time'],
      ['order-history', 'point-in-time'],
      ['search', 'point-in-time'],
    ]);
    const versionOf = (name: string) => results.find((r) => r.name === name)?.version as number;

    // The live models have both orders, the first one paid.
    expect((await suite.query(`/orders/${before.orderId}`)).body).toMatchObject({ status: 'PAID' });
    expect((await suite.query(`/orders/${after.orderId}`)).status).toBe(200);
    // The point-in-time models have the first as it was then, and not the second.
    const pastOrder = await suite.query(
      `/orders/${before.orderId}?modelVersion=${versionOf('order-history')}`,
    );
    expect(pastOrder.status).toBe(200);
    expect(pastOrder.body).toMatchObject({ status: 'PLACED' });
    expect(pastOrder.headers.get('x-read-model-version')).toBe(String(versionOf('order-history')));
    expect(
      (await suite.query(`/orders/${after.orderId}?modelVersion=${versionOf('order-history')}`)).status,
    ).toBe(404);
    const pastSearch = await suite.query<{ items: { orderId: string }[] }>(
      `/search/orders?q=${before.orderId}&modelVersion=${versionOf('search')}`,
    );
    expect(pastSearch.body.items.map((o) => o.orderId)).toEqual([before.orderId]);
    const pastAfter = await suite.query<{ total: number }>(
      `/search/orders?q=${after.orderId}&modelVersion=${versionOf('search')}`,
    );
    expect(pastAfter.body.total).toBe(0);
    const pastSales = await suite.query<{ ordersPlaced: number }>(
      `/stats/sales?modelVersion=${versionOf('analytics')}`,
    );
    expect(pastSales.body.ordersPlaced).toBe(base + 1);
    const liveSales = await suite.query<{ ordersPlaced: number }>('/stats/sales');
    expect(liveSales.body.ordersPlaced).toBe(base + 2);

    // It never goes live, a version that does not exist is a 404, and the past never shows a
    // later change: a token for one waits, then answers 503.
    expect((await list(suite)).projections.every((p) => p.liveVersion !== versionOf(p.name))).toBe(true);
    const missing = await suite.query('/stats/sales?modelVersion=99');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ type: 'urn:cqrs-shop:problem:read-model-version-not-found' });
    const withToken = await suite.query(
      `/orders/${before.orderId}?modelVersion=${versionOf('order-history')}`,
      {
        'X-Consistency-Token': (await place()).consistencyToken,
        Prefer: 'wait=0.2',
      },
    );
    expect(withToken.status).toBe(503);
    expect(withToken.body).toMatchObject({ type: 'urn:cqrs-shop:problem:not-yet-consistent' });
  }, 300_000);

  it('collects retired versions and refuses to rebuild from a history that is no longer complete', async () => {
    const suite = running();
    const gc = await cqrs(suite, ['projections', 'gc', 'all', '--json']);
    expect(gc.code).toBe(0);
    // Every event applied and committed first: projectors commit a moment after they apply
    // (once their store's checkpoint is written), and the listing below shows committed offsets.
    await suite.caughtUp();
    const listed = await list(suite);
    for (const projection of listed.projections)
      expect(projection.versions.map((v) => v.state).sort()).toEqual(['live', 'point-in-time']);
    const db = mongo.db(suite.names.mongoDatabase);
    expect((await db.listCollections({ name: orderHistoryCollections(1).orders }).toArray()).length).toBe(0);

    // Records deleted from one partition of the customer topic: the history has a hole.
    const kafka = new Kafka({
      brokers: suite.env.KAFKA_BROKERS?.split(',') ?? [],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topic = eventTopics(suite.names.topicPrefix).customer;
    const offsets = await admin.fetchTopicOffsets(topic);
    const partition = offsets.find((p) => Number(p.high) > 0);
    if (!partition) throw new Error('no customer events');
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: partition.partition, offset: '1' }] });
    await admin.disconnect();

    const refused = await cqrs(suite, ['projections', 'rebuild', 'order-history']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${topic} partition ${partition.partition} starts at offset 1`);
    expect((await list(suite)).projections.find((p) => p.name === 'order-history')?.versions).toEqual(
      listed.projections.find((p) => p.name === 'order-history')?.versions,
    );
  }, 300_000);
});
