import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventPayloads } from '@cqrs-shop/events';
import { type OrderEventType, recomputeCounters } from '@cqrs-shop/projections';
import { testEnvelope, uniqueName } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { AnalyticsReader } from '@cqrs-shop/read-models';
import { RedisAnalyticsStore } from '@cqrs-shop/read-models';

type Delivery = {
  [T in OrderEventType]: { envelope: EventEnvelope & { eventType: T }; payload: EventPayloads[T] };
}[OrderEventType];

const KEYBOARD = '5b0e9a42-0000-4000-8000-00000000000b';
const MOUSE = '5b0e9a42-0000-4000-8000-00000000000c';

/** One order's history as the projector would receive it. */
function orderHistory(orderId: string, placedAt: string) {
  let version = 0;
  const envelope = <T extends OrderEventType>(eventType: T) =>
    testEnvelope(eventType, orderId, ++version, placedAt);
  const lines = [
    {
      productId: KEYBOARD,
      sku: 'KB-01',
      productName: 'Keyboard',
      quantity: 2,
      unitPriceCents: 4_999,
      lineTotalCents: 9_998,
    },
    {
      productId: MOUSE,
      sku: 'MS-01',
      productName: 'Mouse',
      quantity: 1,
      unitPriceCents: 1_950,
      lineTotalCents: 1_950,
    },
  ];
  const totalCents = 11_948;
  return {
    placed: (): Delivery => ({
      envelope: envelope('OrderPlaced'),
      payload: { orderId, customerId: randomUUID(), lines, totalCents, currency: 'EUR', channel: 'WEB' },
    }),
    paid: (): Delivery => ({
      envelope: envelope('OrderPaid'),
      payload: { orderId, amountCents: totalCents, currency: 'EUR' },
    }),
    shipped: (): Delivery => ({ envelope: envelope('OrderShipped'), payload: { orderId } }),
    cancelled: (previousStatus: 'PLACED' | 'PAID'): Delivery => ({
      envelope: envelope('OrderCancelled'),
      payload: {
        orderId,
        previousStatus,
        refundCents: previousStatus === 'PAID' ? totalCents : null,
        currency: 'EUR',
      },
    }),
  };
}

describe('RedisAnalyticsStore (real Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const prefix = `${uniqueName('test')}:`;
  const store = new RedisAnalyticsStore(redis, prefix, 1);

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const apply = (delivery: Delivery) => store.applyEvent(delivery.envelope, delivery.payload);

  it('keeps every counter exact through a mixed history delivered twice, interleaved across orders', async () => {
    const shipped = orderHistory(randomUUID(), '2026-11-24T10:15:00.000Z');
    const refunded = orderHistory(randomUUID(), '2026-11-24T10:45:00.000Z');
    const dropped = orderHistory(randomUUID(), '2026-11-24T11:05:00.000Z');
    const open = orderHistory(randomUUID(), '2026-11-24T11:30:00.000Z');
    const history = [
      shipped.placed(),
      refunded.placed(),
      shipped.paid(),
      dropped.placed(),
      refunded.paid(),
      open.placed(),
      shipped.shipped(),
      dropped.cancelled('PLACED'),
      refunded.cancelled('PAID'),
    ];
    const outcomes = [];
    for (const delivery of history) outcomes.push(await apply(delivery));
    // Redelivery of everything, as after a crash before the offset commit or a full replay.
    for (const delivery of history) outcomes.push(await apply(delivery));

    expect(outcomes.slice(0, 9)).toEqual(Array(9).fill('applied'));
    expect(outcomes.slice(9)).toEqual(Array(9).fill('already-applied'));
    const counters = await store.counters();
    expect(counters).toEqual({
      ordersPlaced: 4,
      ordersByStatus: { PLACED: 1, PAID: 0, SHIPPED: 1, CANCELLED: 2 },
      grossRevenueCents: { EUR: 11_948 },
      refundedCents: { EUR: 11_948 },
      productUnits: { [KEYBOARD]: 4, [MOUSE]: 2 },
      productRevenueCents: { [KEYBOARD]: 19_996, [MOUSE]: 3_900 },
      ordersPerHour: { '2026-11-24T10': 2, '2026-11-24T11': 2 },
    });
    const snapshots = await Promise.all(
      history
        .slice(0, 9)
        .map((d) => d.envelope.aggregateId)
        .filter((id, i, all) => all.indexOf(id) === i)
        .map((id) => store.snapshot(id)),
    );
    expect(counters).toEqual(recomputeCounters(snapshots.filter((s) => s !== undefined)));
  });

  it('counts an event once when ten deliveries of it race each other', async () => {
    const order = orderHistory(randomUUID(), '2026-11-24T12:00:00.000Z');
    const before = await store.counters();
    const placed = order.placed();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => apply(placed)));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already-applied')).toHaveLength(9);
    const after = await store.counters();
    expect(after.ordersPlaced).toBe(before.ordersPlaced + 1);
    expect(after.ordersPerHour['2026-11-24T12']).toBe(1);
  });

  it('refuses an event whose predecessor it has not seen, changing nothing', async () => {
    const order = orderHistory(randomUUID(), '2026-11-24T13:00:00.000Z');
    order.placed();
    const before = await store.counters();
    const outcome = await apply(order.paid());
    expect(outcome).toMatchObject({ kind: 'missing-predecessor' });
    expect(await store.counters()).toEqual(before);
  });

  it('names the top products by SKU and name once their ProductAdded is applied, redelivery changing nothing', async () => {
    const reader = new AnalyticsReader(redis, prefix, 1);
    const added = {
      envelope: testEnvelope('ProductAdded', KEYBOARD, 1, '2026-11-01T08:00:00.000Z'),
      payload: {
        productId: KEYBOARD,
        sku: 'KB-01',
        name: 'Keyboard',
        description: null,
        priceCents: 4_999,
        currency: 'EUR',
        stock: 10,
      },
    };
    const restocked = {
      envelope: testEnvelope('ProductRestocked', KEYBOARD, 2, '2026-11-02T08:00:00.000Z'),
      payload: { productId: KEYBOARD, quantity: 5, stock: 15 },
    };

    expect(await store.applyEvent(added.envelope, added.payload)).toBe('applied');
    expect(await store.applyEvent(restocked.envelope, restocked.payload)).toBe('applied');
    expect(await store.applyEvent(added.envelope, added.payload)).toBe('already-applied');

    expect(await reader.appliedVersion('product', KEYBOARD)).toBe(2);
    const top = await reader.topProducts(5);
    const counters = await reader.counters();
    expect(top[0]).toEqual({
      productId: KEYBOARD,
      sku: 'KB-01',
      name: 'Keyboard',
      unitsSold: counters.productUnits[KEYBOARD],
      revenueCents: counters.productRevenueCents[KEYBOARD],
    });
    expect(top[0]?.unitsSold).toBeGreaterThan(top[1]?.unitsSold ?? 0);
    expect(top.find((each) => each.productId === MOUSE)).toMatchObject({ sku: null, name: null });
  });
});
