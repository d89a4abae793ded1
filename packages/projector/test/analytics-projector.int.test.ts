import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { createKafkaClients, ensureTopics } from '@cqrs-shop/kafka';
import { createLogger } from '@cqrs-shop/logging';
import { DEAD_LETTER_HEADERS, Projector, type ProjectorOptions } from '@cqrs-shop/projector';
import { type ProjectedEvent, type Projection } from '@cqrs-shop/read-models';
import { deleteTopics, readTopics, testEventMessage, uniqueName, waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { RedisAnalyticsStore } from '@cqrs-shop/read-models';
import { RedisParkedAggregates } from '@cqrs-shop/read-models';
import { analyticsProjection } from '@cqrs-shop/read-models';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const PRODUCT = '5b0e9a42-0000-4000-8000-00000000000b';

const placed = (orderId: string) =>
  testEventMessage('OrderPlaced', orderId, 1, {
    orderId,
    customerId: randomUUID(),
    lines: [
      {
        productId: PRODUCT,
        sku: 'KB-01',
        productName: 'Keyboard',
        quantity: 1,
        unitPriceCents: 1_000,
        lineTotalCents: 1_000,
      },
    ],
    totalCents: 1_000,
    currency: 'EUR',
    channel: 'WEB',
  });
const paid = (orderId: string) =>
  testEventMessage('OrderPaid', orderId, 2, { orderId, amountCents: 1_000, currency: 'EUR' });

/**
 * A projector on an orders topic of one partition (so every aggregate shares it and "the others
 * go on" is tested for real) and Redis keys of its own; started before the tests, removed after.
 * `wrap` lets a test put something between the runtime and the analytics projection.
 */
function analyticsProjector(
  wrap: (projection: Projection) => Projection = (projection) => projection,
  extra: Partial<ProjectorOptions> = {},
) {
  const prefix = `${uniqueName('test')}.`;
  const ordersTopic = `${prefix}shop.orders.v1`;
  const deadLetterTopic = `${prefix}shop.dead-letter.analytics.v1`;
  const logger = createLogger({ service: 'test', level: 'silent' });
  const kafka = createKafkaClients(
    { brokers, clientId: 'projector-test', connectionTimeoutMs: 3_000, requestTimeoutMs: 30_000, retries: 5 },
    logger,
  );
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const store = new RedisAnalyticsStore(redis, `${prefix}:`, 1);
  const parked = new RedisParkedAggregates(redis, `${prefix}:`, 1);
  const projector = new Projector({
    name: 'analytics',
    groupId: uniqueName('analytics'),
    topics: [ordersTopic],
    deadLetterTopic,
    kafka,
    logger,
    projection: wrap(analyticsProjection(store)),
    parked,
    attempts: 2,
    retryBudgetMs: 0,
    backoffMs: 10,
    ...extra,
  });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: ordersTopic, partitions: 1 }]);
    await admin.disconnect();
    await projector.start();
  });

  afterAll(async () => {
    await projector.stop();
    await kafka.close();
    await deleteTopics(brokers.join(','), prefix);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  return { kafka, redis, prefix, logger, store, parked, projector, ordersTopic, deadLetterTopic };
}

describe('projector runtime feeding the analytics read model (real Kafka and Redis)', () => {
  const { kafka, store, parked, projector, ordersTopic, deadLetterTopic } = analyticsProjector();

  it('applies events once, parks a poison event with the later events of its aggregate, and goes on with the others', async () => {
    const [healthy, poisoned, later] = [randomUUID(), randomUUID(), randomUUID()];
    const poison = { ...placed(poisoned), value: Buffer.from('not avro at all') };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: ordersTopic,
      messages: [placed(healthy), poison, paid(healthy), paid(poisoned), placed(later), placed(healthy)],
    });

    await waitFor(
      'the healthy orders to be counted',
      async () => (await store.counters()).ordersPlaced === 2,
      {
        timeoutMs: 30_000,
      },
    );
    const counters = await store.counters();
    expect(counters.ordersByStatus).toEqual({ PLACED: 1, PAID: 1, SHIPPED: 0, CANCELLED: 0 });
    expect(counters.grossRevenueCents).toEqual({ EUR: 1_000 });

    const deadLetters = await readTopics(brokers, [deadLetterTopic], (seen) => seen.length >= 2);
    expect(deadLetters.map((m) => [m.key, m.headers[DEAD_LETTER_HEADERS.reason]?.split(':')[0]])).toEqual([
      [poisoned, 'cannot be decoded'],
      [poisoned, 'parked behind an earlier event of the same aggregate'],
    ]);
    expect(deadLetters[0]?.headers['event-type']).toBe('OrderPlaced');
    expect(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.projection]).toBe('analytics');
    expect(await parked.list()).toEqual([
      { aggregateKey: `order:${poisoned}`, reason: expect.stringContaining('cannot be decoded') as unknown },
    ]);

    await waitFor('the lag to reach zero', () => projector.status().partitions[0]?.lagEvents === 0, {
      timeoutMs: 10_000,
    });
    expect(projector.status()).toMatchObject({ applied: 3, deadLettered: 2, storeAvailable: true });
    await producer.disconnect();
  });
});

describe('redrive of a parked aggregate (real Kafka and Redis)', () => {
  // A defect in the projection that fails every event of some orders, until it is fixed.
  const broken = new Set<string>();
  const { kafka, store, parked, projector, ordersTopic } = analyticsProjector((analytics) => ({
    prepare: (aggregates) =>
      aggregates.some((a) => broken.has(a.key.slice('order:'.length)))
        ? Promise.reject(new Error('defect'))
        : analytics.prepare(aggregates),
    checkpoints: (topics) => analytics.checkpoints(topics),
  }));

  it('brings a parked aggregate to the correct state once the cause is fixed, and unparks it', async () => {
    const [victim, bystander] = [randomUUID(), randomUUID()];
    broken.add(victim);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: ordersTopic, messages: [placed(victim), placed(bystander), paid(victim)] });
    await waitFor(
      'the victim to be parked with its later event',
      () => projector.status().deadLettered === 2,
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor('the bystander to be counted', async () => (await store.counters()).ordersPlaced === 1);
    expect(await parked.list()).toEqual([
      { aggregateKey: `order:${victim}`, reason: 'failed 2 times: defect' },
    ]);

    const whileBroken = await projector.redrive(`order:${victim}`);
    expect(whileBroken).toMatchObject({
      redriven: false,
      reason: expect.stringContaining('defect') as unknown,
    });

    broken.delete(victim);
    const fixed = await projector.redrive(`order:${victim}`);
    expect(fixed).toEqual({ aggregateKey: `order:${victim}`, redriven: true, applied: 2, events: 2 });
    expect(await parked.list()).toEqual([]);
    expect(await store.snapshot(victim)).toMatchObject({ version: 2, status: 'PAID' });
    const counters = await store.counters();
    expect(counters.ordersPlaced).toBe(2);
    expect(counters.ordersByStatus).toEqual({ PLACED: 1, PAID: 1, SHIPPED: 0, CANCELLED: 0 });

    // Later events of the redriven aggregate flow normally again.
    await producer.send({
      topic: ordersTopic,
      messages: [testEventMessage('OrderShipped', victim, 3, { orderId: victim })],
    });
    await waitFor(
      'the shipment to be counted',
      async () => (await store.counters()).ordersByStatus.SHIPPED === 1,
    );
    await producer.disconnect();
  });
});

describe('work that must happen once per real event (real Kafka and Redis)', () => {
  const firstApplied: ProjectedEvent[] = [];
  const live = analyticsProjector((projection) => projection, {
    onFirstApplied: (event) => {
      firstApplied.push(event);
      return Promise.resolve();
    },
  });

  it('runs in the live projection for each event applied the first time, never for a redelivery or a replay', async () => {
    const { kafka, redis, prefix, logger, ordersTopic, deadLetterTopic } = live;
    const orderId = randomUUID();
    const producer = kafka.producer();
    await producer.connect();
    // The second OrderPlaced is a redelivery: the read model has that version already.
    await producer.send({ topic: ordersTopic, messages: [placed(orderId), paid(orderId), placed(orderId)] });
    await waitFor(
      'all three events to be consumed',
      () => live.projector.status().partitions[0]?.position === 3,
      { timeoutMs: 30_000 },
    );
    await producer.disconnect();
    expect(firstApplied.map((e) => [e.envelope.eventType, e.envelope.aggregateVersion])).toEqual([
      ['OrderPlaced', 1],
      ['OrderPaid', 2],
    ]);

    // A replay of the same topic into a new version applies everything again, and runs none of it.
    const replayed: ProjectedEvent[] = [];
    const store = new RedisAnalyticsStore(redis, `${prefix}:`, 2);
    const replay = new Projector({
      name: 'analytics',
      groupId: uniqueName('analytics-replay'),
      topics: [ordersTopic],
      deadLetterTopic,
      kafka,
      logger,
      projection: analyticsProjection(store),
      parked: new RedisParkedAggregates(redis, `${prefix}:`, 2),
      replay: true,
      onFirstApplied: (event) => {
        replayed.push(event);
        return Promise.resolve();
      },
    });
    await replay.start();
    try {
      await waitFor(
        'the replay to apply the order',
        async () => (await store.snapshot(orderId))?.version === 2,
        {
          timeoutMs: 30_000,
        },
      );
      expect(replay.status()).toMatchObject({ mode: 'replay', applied: 2 });
      expect(replayed).toEqual([]);
      expect(firstApplied).toHaveLength(2);
    } finally {
      await replay.stop();
    }
  });
});

describe('a projector its group has evicted (real Kafka and Redis)', () => {
  const { kafka, store, projector, ordersTopic } = analyticsProjector(undefined, { sessionTimeoutMs: 6_000 });

  it('joins the group again and goes on consuming, without stopping', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: ordersTopic, messages: [placed(randomUUID())] });
    await waitFor('the first order to be counted', async () => (await store.counters()).ordersPlaced === 1, {
      timeoutMs: 30_000,
    });

    // Silent for longer than its session: the group evicts it (as a long GC pause or a stalled
    // host would), and its next heartbeat or commit is refused.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 9_000);

    await producer.send({ topic: ordersTopic, messages: [placed(randomUUID())] });
    await waitFor(
      'the order sent after the eviction to be counted',
      async () => (await store.counters()).ordersPlaced === 2,
      {
        timeoutMs: 60_000,
      },
    );
    expect(projector.status().running).toBe(true);
    await producer.disconnect();
  }, 90_000);
});

describe('fetch pacing (real Kafka and Redis)', () => {
  const INTERVAL_MS = 1_500;
  /** When each batch reached the projection, and how many events it held. */
  const batches: { at: number; events: number }[] = [];
  const { kafka, store, ordersTopic } = analyticsProjector(
    (projection) => ({
      checkpoints: (topics) => projection.checkpoints(topics),
      prepare: (aggregates) => {
        batches.push({ at: performance.now(), events: aggregates.reduce((n, a) => n + a.events.length, 0) });
        return projection.prepare(aggregates);
      },
    }),
    { fetchIntervalMs: INTERVAL_MS },
  );

  it('applies an event after a quiet spell at once, and gathers the events that follow closely into few batches', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const counted = (n: number) =>
      waitFor(`${n} orders to be counted`, async () => (await store.counters()).ordersPlaced === n, {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
    await producer.send({ topic: ordersTopic, messages: [placed(randomUUID())] });
    await counted(1);
    // The quiet spell under test: longer than the interval, so the next event must not wait.
    await delay(INTERVAL_MS + 200);
    const sent = performance.now();
    await producer.send({ topic: ordersTopic, messages: [placed(randomUUID())] });
    await counted(2);
    const lone = batches.at(-1);
    expect(lone?.events).toBe(1);
    expect((lone?.at ?? Infinity) - sent).toBeLessThan(INTERVAL_MS);

    // Thirty orders, one every 20 ms, right behind it: they wait out the interval in Kafka and
    // come in at most one batch per interval (plus the one in hand when sending ended).
    const before = batches.length;
    const burstStarted = performance.now();
    for (let i = 0; i < 30; i++) {
      await producer.send({ topic: ordersTopic, messages: [placed(randomUUID())] });
      await delay(20);
    }
    const burstMs = performance.now() - burstStarted;
    await counted(32);
    const burst = batches.slice(before);
    expect(burst.reduce((n, b) => n + b.events, 0)).toBe(30);
    expect(burst.length).toBeLessThanOrEqual(Math.floor(burstMs / INTERVAL_MS) + 2);
    await producer.disconnect();
  }, 60_000);
});
