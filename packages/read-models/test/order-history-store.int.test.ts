import { randomUUID } from 'node:crypto';
import type { EventPayloads } from '@cqrs-shop/events';
import { createKafkaClients, ensureTopics } from '@cqrs-shop/kafka';
import { createLogger } from '@cqrs-shop/logging';
import { Projector } from '@cqrs-shop/projector';
import { deleteTopics, testEnvelope, testEventMessage, uniqueName, waitFor } from '@cqrs-shop/testing';
import { MongoClient } from 'mongodb';
import { MongoOrderHistoryStore } from '@cqrs-shop/read-models';
import { MongoParkedAggregates } from '@cqrs-shop/read-models';
import { orderHistoryProjection } from '@cqrs-shop/read-models';
import { orderHistoryVersions } from '@cqrs-shop/read-models';
import { placedPayload } from './order-events';

describe('MongoOrderHistoryStore (real MongoDB wire protocol server)', () => {
  const client = new MongoClient(process.env.MONGODB_URL ?? '');
  const db = client.db(uniqueName('test_order_history'));
  const store = new MongoOrderHistoryStore(db, 1);

  beforeAll(async () => {
    await orderHistoryVersions(db).catalog.create(1);
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('completes an order that arrived before its customer once the customer arrives', async () => {
    const [orderId, customerId] = [randomUUID(), randomUUID()];
    expect(
      await store.applyEvent(
        testEnvelope('OrderPlaced', orderId, 1, '2026-11-24T10:00:00.000Z'),
        placedPayload(orderId, customerId),
      ),
    ).toBe('applied');
    expect(await store.order(orderId)).toMatchObject({ customer: null, status: 'PLACED', version: 1 });

    expect(
      await store.applyEvent(testEnvelope('CustomerRegistered', customerId, 1, '2026-11-24T09:00:00.000Z'), {
        customerId,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        givenName: null,
        familyName: null,
      }),
    ).toBe('applied');
    expect(await store.order(orderId)).toMatchObject({
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      version: 1,
    });
  });

  it('joins a known customer into a new order at once, and keeps the document through its lifecycle', async () => {
    const [orderId, customerId] = [randomUUID(), randomUUID()];
    await store.applyEvent(testEnvelope('CustomerRegistered', customerId, 1, '2026-11-24T09:00:00.000Z'), {
      customerId,
      name: 'Grace Hopper',
      email: 'grace@example.com',
      givenName: null,
      familyName: null,
    });
    await store.applyEvent(
      testEnvelope('OrderPlaced', orderId, 1, '2026-11-24T10:00:00.000Z'),
      placedPayload(orderId, customerId),
    );
    await store.applyEvent(testEnvelope('OrderPaid', orderId, 2, '2026-11-24T10:05:00.000Z'), {
      orderId,
      amountCents: 9_998,
      currency: 'EUR',
    });
    const cancelled = testEnvelope('OrderCancelled', orderId, 3, '2026-11-24T10:10:00.000Z');
    const cancel: EventPayloads['OrderCancelled'] = {
      orderId,
      previousStatus: 'PAID',
      refundCents: 9_998,
      currency: 'EUR',
    };
    expect(await store.applyEvent(cancelled, cancel)).toBe('applied');
    // Redelivery and an older event change nothing.
    expect(await store.applyEvent(cancelled, cancel)).toBe('already-applied');
    expect(
      await store.applyEvent(testEnvelope('OrderPaid', orderId, 2, '2026-11-24T10:05:00.000Z'), {
        orderId,
        amountCents: 9_998,
        currency: 'EUR',
      }),
    ).toBe('already-applied');

    expect(await store.order(orderId)).toEqual({
      orderId,
      customerId,
      customer: { name: 'Grace Hopper', email: 'grace@example.com' },
      lines: placedPayload(orderId, customerId).lines,
      totalCents: 9_998,
      currency: 'EUR',
      channel: 'WEB',
      status: 'CANCELLED',
      statusHistory: [
        { status: 'PLACED', at: '2026-11-24T10:00:00.000Z' },
        { status: 'PAID', at: '2026-11-24T10:05:00.000Z' },
        { status: 'CANCELLED', at: '2026-11-24T10:10:00.000Z' },
      ],
      placedAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:10:00.000Z',
      refundCents: 9_998,
      version: 3,
    });
  });

  it('writes an event once when several deliveries of it race', async () => {
    const [orderId, customerId] = [randomUUID(), randomUUID()];
    const placed = testEnvelope('OrderPlaced', orderId, 1, '2026-11-24T11:00:00.000Z');
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => store.applyEvent(placed, placedPayload(orderId, customerId))),
    );
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(await store.orders.countDocuments({ _id: orderId })).toBe(1);
  });

  it('refuses a change to an order it holds nothing of, writing nothing', async () => {
    const orderId = randomUUID();
    const outcome = await store.applyEvent(
      testEnvelope('OrderPaid', orderId, 2, '2026-11-24T12:00:00.000Z'),
      {
        orderId,
        amountCents: 1,
        currency: 'EUR',
      },
    );
    expect(outcome).toMatchObject({ kind: 'missing-predecessor' });
    expect(await store.order(orderId)).toBeUndefined();
  });
});

describe('a projector taking in history (real Kafka and MongoDB wire protocol server)', () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const prefix = `${uniqueName('test')}.`;
  const customersTopic = `${prefix}shop.customers.v1`;
  const ordersTopic = `${prefix}shop.orders.v1`;
  const logger = createLogger({ service: 'test', level: 'silent' });
  const kafka = createKafkaClients(
    { brokers, clientId: 'projector-test', connectionTimeoutMs: 3_000, requestTimeoutMs: 30_000, retries: 5 },
    logger,
  );
  const client = new MongoClient(process.env.MONGODB_URL ?? '');
  const db = client.db(uniqueName('test_order_history'));
  const store = new MongoOrderHistoryStore(db, 1);
  /** How many customers the store had written whenever a batch of orders was prepared. */
  const customersWrittenAtOrders: number[] = [];
  let customersWritten = 0;
  /** What the projector said it waited for when the first customers were prepared. */
  let readingFirstAtCustomers: readonly string[] | undefined;
  const orderHistory = orderHistoryProjection(store);
  const projector = new Projector({
    name: 'order-history',
    groupId: uniqueName('order-history'),
    topics: [customersTopic, ordersTopic],
    readFirst: [customersTopic],
    deadLetterTopic: `${prefix}shop.dead-letter.order-history.v1`,
    kafka,
    logger,
    projection: {
      checkpoints: (topics) => orderHistory.checkpoints(topics),
      prepare: async (aggregates) => {
        const customers = aggregates.filter((a) => a.key.startsWith('customer:')).length;
        if (customers > 0) readingFirstAtCustomers ??= projector.status().readingFirst;
        if (aggregates.some((a) => a.key.startsWith('order:')))
          customersWrittenAtOrders.push(customersWritten);
        const prepared = await orderHistory.prepare(aggregates);
        return {
          folds: prepared.folds,
          write: async (checkpoints) => {
            const outcome = await prepared.write(checkpoints);
            customersWritten += customers - outcome.unwritten.size;
            return outcome;
          },
        };
      },
    },
    parked: new MongoParkedAggregates(db, 1),
  });

  afterAll(async () => {
    await projector.stop();
    await kafka.close();
    await deleteTopics(brokers.join(','), prefix);
    await db.dropDatabase();
    await client.close();
  });

  it('takes in the customers before the orders, so that every order is written joined with its customer', async () => {
    await orderHistoryVersions(db).catalog.create(1);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: customersTopic, partitions: 3 },
      { topic: ordersTopic, partitions: 3 },
    ]);
    await admin.disconnect();
    const customerIds = Array.from({ length: 12 }, () => randomUUID());
    const orderIds = customerIds.map(() => randomUUID());
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: customersTopic,
      messages: customerIds.map((customerId, i) =>
        testEventMessage('CustomerRegistered', customerId, 1, {
          customerId,
          name: `Customer ${i}`,
          email: `customer${i}@example.com`,
          givenName: null,
          familyName: null,
        }),
      ),
    });
    await producer.send({
      topic: ordersTopic,
      messages: orderIds.map((orderId, i) =>
        testEventMessage('OrderPlaced', orderId, 1, placedPayload(orderId, customerIds[i] ?? '')),
      ),
    });
    await producer.disconnect();

    await projector.start();
    await waitFor('every order to be written', async () => (await store.orders.countDocuments({})) === 12, {
      timeoutMs: 30_000,
    });
    expect(readingFirstAtCustomers?.length).toBeGreaterThan(0);
    expect(readingFirstAtCustomers?.every((partition) => partition.startsWith(`${customersTopic}/`))).toBe(
      true,
    );
    expect(projector.status().readingFirst).toEqual([]);
    expect(customersWrittenAtOrders.length).toBeGreaterThan(0);
    expect(customersWrittenAtOrders.every((written) => written === 12)).toBe(true);
    const orders = await Promise.all(orderIds.map((orderId) => store.order(orderId)));
    expect(orders.map((order) => order?.customer?.name)).toEqual(customerIds.map((_, i) => `Customer ${i}`));
  }, 60_000);
});
