import { randomUUID } from 'node:crypto';
import type { AggregateEvents, CheckpointMove, ProjectedEvent } from '@cqrs-shop/read-models';
import {
  CUSTOMER_ORDERS_PAGE_SIZE,
  OrderHistoryReader,
  OrderViewsReader,
  orderViewKeys,
} from '@cqrs-shop/read-models';
import { testEnvelope, uniqueName } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { MongoOrderHistoryStore } from '@cqrs-shop/read-models';
import { RedisOrderViews } from '@cqrs-shop/read-models';
import { orderHistoryVersions } from '@cqrs-shop/read-models';
import { placedPayload } from './order-events';

const TOPIC = 'orders-under-test';

const customerRegistered = (customerId: string): AggregateEvents => ({
  key: `customer:${customerId}`,
  events: [
    {
      envelope: testEnvelope('CustomerRegistered', customerId, 1, '2026-11-24T09:00:00.000Z'),
      payload: {
        customerId,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        givenName: null,
        familyName: null,
      },
    },
  ],
});

/** An order placed at `placedAt`, and paid when `paid`. */
function order(orderId: string, customerId: string, placedAt: string, paid = false): AggregateEvents {
  const placed = placedPayload(orderId, customerId);
  // A name that JSON carries as it is, to be read back byte for byte.
  const lines = placed.lines.map((line) => ({ ...line, productName: 'Keyboard "Ünïcode" \u2028' }));
  const events = [
    {
      envelope: testEnvelope('OrderPlaced', orderId, 1, placedAt),
      payload: { ...placed, lines },
    } as ProjectedEvent,
  ];
  if (paid)
    events.push({
      envelope: testEnvelope('OrderPaid', orderId, 2, placedAt.replace('T10', 'T11')),
      payload: { orderId, amountCents: 9_998, currency: 'EUR' },
    });
  return { key: `order:${orderId}`, events };
}

describe('order views in Redis beside the order documents (real MongoDB wire server and Redis)', () => {
  const client = new MongoClient(process.env.MONGODB_URL ?? '');
  const db = client.db(uniqueName('test_order_views'));
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const keyPrefix = `${uniqueName('test-views')}:`;
  const keys = orderViewKeys(keyPrefix, 1);
  const store = new MongoOrderHistoryStore(db, 1, new RedisOrderViews(redis, keyPrefix, 1));
  const views = new OrderViewsReader(redis, keyPrefix, 1);
  const fromViews = new OrderHistoryReader(db, 1, views);
  const fromDocuments = new OrderHistoryReader(db, 1);

  /**
   * Applies the aggregates' events as one batch and moves the checkpoint of partition 0; folded
   * again, as the runtime does, while a write finds the order already there (a replay).
   */
  async function applyBatch(
    aggregates: readonly AggregateEvents[],
    move?: Omit<CheckpointMove, 'topic' | 'partition'>,
  ) {
    for (let attempt = 1; ; attempt++) {
      const prepared = await store.prepare(aggregates);
      const outcome = await prepared.write(move ? [{ topic: TOPIC, partition: 0, ...move }] : []);
      if (outcome.unwritten.size === 0 || attempt === 3) return outcome;
    }
  }

  const dropViews = async () => {
    const found = await redis.keys(keys.pattern);
    if (found.length > 0) await redis.del(...found);
  };

  beforeAll(async () => {
    await orderHistoryVersions(db).catalog.create(1);
    // A new version: neither store has a checkpoint, so the views are complete from the start.
    expect(await store.checkpoints([TOPIC])).toEqual([]);
  });

  afterAll(async () => {
    await dropViews();
    await db.dropDatabase();
    await client.close();
    redis.disconnect();
  });

  it('serves every order and every page of a customer exactly as the documents would, the customer joined in late', async () => {
    const customerId = randomUUID();
    const ids = Array.from({ length: 23 }, () => randomUUID());
    // Two orders share a placement time: the order id breaks the tie, as on the documents.
    const placedAt = (i: number) => `2026-11-${String(10 + Math.min(i, 21)).padStart(2, '0')}T10:00:00.000Z`;
    // The orders first, their customer after: the views are written again once it is joined.
    await applyBatch(ids.map((id, i) => order(id, customerId, placedAt(i), i % 3 === 0)));
    expect(JSON.parse((await fromViews.orderJson(ids[0] as string))?.json ?? '')).toMatchObject({
      customer: null,
    });
    await applyBatch([customerRegistered(customerId)]);

    expect(await views.complete()).toBe(true);
    for (const id of ids) {
      const viewed = await views.orderJson(id);
      expect(viewed).toBeDefined();
      expect(viewed).toEqual(await fromDocuments.orderJson(id));
      expect(JSON.parse(viewed?.json ?? '')).toMatchObject({
        orderId: id,
        customer: { name: 'Ada Lovelace' },
      });
    }
    let after: { placedAt: string; orderId: string } | undefined;
    const walked: string[] = [];
    for (let page = 0; page < 5; page++) {
      const [viewed, documented] = await Promise.all([
        fromViews.customerOrdersJson(customerId, 10, after),
        fromDocuments.customerOrdersJson(customerId, 10, after),
      ]);
      expect(viewed).toEqual(documented);
      const items = JSON.parse(viewed.itemsJson) as { orderId: string }[];
      walked.push(...items.map((o) => o.orderId));
      if (!viewed.next) break;
      after = viewed.next;
    }
    expect(walked).toHaveLength(ids.length);
    // The first page of the usual size is kept whole, and answers the same.
    expect(await redis.exists(keys.customerFirstPage(customerId))).toBe(1);
    const first = await fromViews.customerOrdersJson(customerId, CUSTOMER_ORDERS_PAGE_SIZE);
    expect(first).toEqual(await fromDocuments.customerOrdersJson(customerId, CUSTOMER_ORDERS_PAGE_SIZE));
    expect(first.next).not.toBeNull();
    expect(await fromViews.customerOrdersJson(randomUUID(), CUSTOMER_ORDERS_PAGE_SIZE)).toEqual({
      itemsJson: '[]',
      next: null,
    });
    expect(new Set(walked)).toEqual(new Set(ids));
    expect(await fromViews.appliedVersion('order', ids[0] as string)).toBe(2);
  });

  it('keeps a later view when an earlier state of the order is written after it', async () => {
    const [orderId, customerId] = [randomUUID(), randomUUID()];
    await applyBatch([order(orderId, customerId, '2026-11-24T10:00:00.000Z', true)]);
    const paid = await fromDocuments.order(orderId);
    expect(paid).toMatchObject({ version: 2, status: 'PAID' });
    if (!paid) throw new Error('the order was not stored');
    const writer = new RedisOrderViews(redis, keyPrefix, 1);
    await writer.write([
      { ...paid, version: 1, status: 'PLACED', statusHistory: paid.statusHistory.slice(0, 1) },
    ]);
    expect(await views.orderJson(orderId)).toEqual(await fromDocuments.orderJson(orderId));
  });

  it('replays from the lower checkpoint when Redis lost the views, reads the documents meanwhile, and is complete again once replayed', async () => {
    const customerId = randomUUID();
    const batches = [0, 1, 2].map((i) => [order(randomUUID(), customerId, `2026-11-2${i}T10:00:00.000Z`)]);
    for (const [i, batch] of batches.entries())
      expect(await applyBatch(batch, { from: i === 0 ? null : i * 10, next: (i + 1) * 10 })).toMatchObject({
        checkpointed: true,
      });
    expect(await store.checkpoints([TOPIC])).toEqual([{ topic: TOPIC, partition: 0, next: 30 }]);
    const orderId = batches[2]?.[0]?.key.slice('order:'.length) ?? '';
    const served = await fromViews.orderJson(orderId);
    const page = await fromViews.customerOrdersJson(customerId, CUSTOMER_ORDERS_PAGE_SIZE);

    await dropViews();
    // The runtime does not know yet: its next move is refused, and it reads the checkpoints again.
    const next = [order(randomUUID(), customerId, '2026-11-29T10:00:00.000Z')];
    expect(await applyBatch(next, { from: 30, next: 40 })).toMatchObject({ checkpointMoved: true });
    expect(await store.checkpoints([TOPIC])).toEqual([]);
    expect(await views.complete()).toBe(false);
    // Meanwhile the reads come from the documents, and answer the same.
    expect(await fromViews.orderJson(orderId)).toEqual(served);
    expect(JSON.parse((await fromViews.customerOrdersJson(customerId, 10)).itemsJson)).toHaveLength(4);
    expect(
      JSON.parse((await fromViews.customerOrdersJson(customerId, CUSTOMER_ORDERS_PAGE_SIZE)).itemsJson),
    ).toHaveLength(4);

    // The replay from the start: documents already there, views written again.
    for (const [i, batch] of [...batches, next].entries())
      expect(await applyBatch(batch, { from: i === 0 ? null : i * 10, next: (i + 1) * 10 })).toMatchObject({
        checkpointed: true,
      });
    expect(await store.checkpoints([TOPIC])).toEqual([{ topic: TOPIC, partition: 0, next: 40 }]);
    expect(await views.complete()).toBe(true);
    expect(await views.orderJson(orderId)).toEqual(served);
    const replayed = await fromViews.customerOrdersJson(customerId, CUSTOMER_ORDERS_PAGE_SIZE);
    expect((JSON.parse(replayed.itemsJson) as unknown[]).slice(1)).toEqual(JSON.parse(page.itemsJson));
  });
});
