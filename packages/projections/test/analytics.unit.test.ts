import {
  type AnalyticsChange,
  type AnalyticsCounters,
  ORDER_STATUSES,
  type OrderAnalyticsSnapshot,
  type OrderEventType,
  type ProductLabel,
  analyticsDeltas,
  applyDeltas,
  applyOrderToAnalytics,
  applyProductToAnalytics,
  hourBucket,
  isRejection,
  nextOrderSnapshot,
  recomputeCounters,
  topProductsByUnits,
} from '@cqrs-shop/projections';

import {
  type Delivery,
  KEYBOARD,
  MOUSE,
  ORDER,
  OTHER_ORDER,
  line,
  orderCancelled,
  orderHistoryTo,
  orderPaid,
  orderPlaced,
  orderShipped,
  productAdded,
  productPriceChanged,
  project,
  stockReserved,
} from './builders.js';
import { deliveries, randomLifecycles, seededRandom } from './lifecycles.js';

const applyAnalytics = (
  snapshot: OrderAnalyticsSnapshot | undefined,
  { envelope, payload }: Delivery<OrderEventType>,
) => applyOrderToAnalytics(snapshot, envelope, payload);

/** Given: the order's analytics snapshot after these events. */
function snapshotAfter(events: readonly Delivery<OrderEventType>[]): OrderAnalyticsSnapshot | undefined {
  return project((snapshot, event) => {
    const result = applyAnalytics(snapshot, event);
    return result === undefined || isRejection(result) ? result : result.snapshot;
  }, events);
}

/** When: `event` arrives after `history`; Then: the change it makes (failing unless it makes one). */
function changeBy(
  history: readonly Delivery<OrderEventType>[],
  event: Delivery<OrderEventType>,
): AnalyticsChange {
  const result = applyAnalytics(snapshotAfter(history), event);
  if (result === undefined || isRejection(result)) throw new Error(`no change: ${JSON.stringify(result)}`);
  return result;
}

const TOTAL = 11_948;

describe('analytics of one order', () => {
  it('counts a placed order once, in its status and its hour, with units and revenue per product', () => {
    const { snapshot, deltas } = changeBy([], orderPlaced());

    expect(deltas).toEqual([
      { counter: 'ordersPlaced', by: 1 },
      { counter: 'ordersPerHour', field: '2026-11-24T10', by: 1 },
      { counter: 'ordersByStatus', field: 'PLACED', by: 1 },
      { counter: 'productUnits', member: KEYBOARD, by: 2 },
      { counter: 'productRevenueCents', member: KEYBOARD, by: 9_998 },
      { counter: 'productUnits', member: MOUSE, by: 1 },
      { counter: 'productRevenueCents', member: MOUSE, by: 1_950 },
    ]);
    expect(snapshot).toEqual({
      orderId: ORDER,
      version: 1,
      status: 'PLACED',
      totalCents: TOTAL,
      currency: 'EUR',
      refundCents: null,
      lines: [
        { productId: KEYBOARD, quantity: 2, lineTotalCents: 9_998 },
        { productId: MOUSE, quantity: 1, lineTotalCents: 1_950 },
      ],
      placedHour: '2026-11-24T10',
    });
  });

  it('moves a paid order from PLACED to PAID and adds its total to gross revenue', () => {
    expect(changeBy(orderHistoryTo('PLACED'), orderPaid()).deltas).toEqual([
      { counter: 'ordersByStatus', field: 'PLACED', by: -1 },
      { counter: 'ordersByStatus', field: 'PAID', by: 1 },
      { counter: 'grossRevenueCents', field: 'EUR', by: TOTAL },
    ]);
  });

  it('moves a shipped order from PAID to SHIPPED, its revenue staying counted', () => {
    expect(changeBy(orderHistoryTo('PAID'), orderShipped()).deltas).toEqual([
      { counter: 'ordersByStatus', field: 'PAID', by: -1 },
      { counter: 'ordersByStatus', field: 'SHIPPED', by: 1 },
    ]);
  });

  it('takes the units and revenue of a placed order that is cancelled off its products, without a refund', () => {
    expect(changeBy(orderHistoryTo('PLACED'), orderCancelled()).deltas).toEqual([
      { counter: 'ordersByStatus', field: 'PLACED', by: -1 },
      { counter: 'productUnits', member: KEYBOARD, by: -2 },
      { counter: 'productRevenueCents', member: KEYBOARD, by: -9_998 },
      { counter: 'productUnits', member: MOUSE, by: -1 },
      { counter: 'productRevenueCents', member: MOUSE, by: -1_950 },
      { counter: 'ordersByStatus', field: 'CANCELLED', by: 1 },
    ]);
  });

  it('takes a paid order that is cancelled out of gross revenue and counts its refund', () => {
    const cancelled = orderCancelled({ version: 3, previousStatus: 'PAID', refundCents: TOTAL });

    expect(changeBy(orderHistoryTo('PAID'), cancelled).deltas).toEqual([
      { counter: 'ordersByStatus', field: 'PAID', by: -1 },
      { counter: 'grossRevenueCents', field: 'EUR', by: -TOTAL },
      { counter: 'productUnits', member: KEYBOARD, by: -2 },
      { counter: 'productRevenueCents', member: KEYBOARD, by: -9_998 },
      { counter: 'productUnits', member: MOUSE, by: -1 },
      { counter: 'productRevenueCents', member: MOUSE, by: -1_950 },
      { counter: 'ordersByStatus', field: 'CANCELLED', by: 1 },
      { counter: 'refundedCents', field: 'EUR', by: TOTAL },
    ]);
  });

  it('changes nothing when an event is delivered a second time', () => {
    const history = orderHistoryTo('PAID');
    const snapshot = snapshotAfter(history);

    for (const event of history) expect(applyAnalytics(snapshot, event)).toBeUndefined();
  });

  it('parks a change to an order it holds no snapshot of', () => {
    expect(applyAnalytics(undefined, orderPaid())).toMatchObject({
      kind: 'missing-predecessor',
      heldVersion: 0,
    });
  });

  it('parks a transition the order lifecycle does not allow', () => {
    expect(
      applyAnalytics(snapshotAfter(orderHistoryTo('PLACED')), orderShipped({ version: 2 })),
    ).toMatchObject({
      kind: 'invalid-event',
    });
  });
});

describe('hour buckets', () => {
  it.each([
    ['2026-11-24T10:00:00.000Z', '2026-11-24T10'],
    ['2026-11-24T10:59:59.999Z', '2026-11-24T10'],
    ['2026-11-24T11:00:00.000Z', '2026-11-24T11'],
    ['2026-12-31T23:59:59.999Z', '2026-12-31T23'],
    ['2026-11-24T01:30:00.000+02:00', '2026-11-23T23'],
  ])('put %s in the UTC hour %s', (occurredAt, hour) => {
    expect(hourBucket(occurredAt)).toBe(hour);
  });

  it('refuse what is not a time', () => {
    expect(() => hourBucket('yesterday')).toThrow(RangeError);
  });

  it('count an order in the hour it was placed in, whenever it changes later', () => {
    const placedAt10 = orderPlaced({ at: '2026-11-24T10:45:00.000Z' });
    const paidAt11 = orderPaid({ at: '2026-11-24T11:05:00.000Z' });
    const otherAt11 = orderPlaced({ orderId: OTHER_ORDER, at: '2026-11-24T11:10:00.000Z' });

    const counters = recomputeCounters([
      snapshotAfter([placedAt10, paidAt11]) as OrderAnalyticsSnapshot,
      snapshotAfter([otherAt11]) as OrderAnalyticsSnapshot,
    ]);

    expect(counters.ordersPerHour).toEqual({ '2026-11-24T10': 1, '2026-11-24T11': 1 });
  });
});

describe('the counters', () => {
  const snapshotsOf = (...histories: Delivery<OrderEventType>[][]) =>
    histories.map((history) => snapshotAfter(history) as OrderAnalyticsSnapshot);

  it('recompute from snapshots: statuses now, revenue of paid and shipped orders, refunds, products sold', () => {
    const mugs = line('5b0e9a42-0000-4000-8000-0000000000aa', 'MG-01', 'Blue mug', 3, 1_200);
    const counters = recomputeCounters(
      snapshotsOf(orderHistoryTo('SHIPPED'), [
        orderPlaced({ orderId: OTHER_ORDER, lines: [mugs] }),
        orderCancelled({ orderId: OTHER_ORDER }),
      ]),
    );

    expect(counters).toEqual({
      ordersPlaced: 2,
      ordersByStatus: { PLACED: 0, PAID: 0, SHIPPED: 1, CANCELLED: 1 },
      grossRevenueCents: { EUR: TOTAL },
      refundedCents: {},
      productUnits: { [KEYBOARD]: 2, [MOUSE]: 1 },
      productRevenueCents: { [KEYBOARD]: 9_998, [MOUSE]: 1_950 },
      ordersPerHour: { '2026-11-24T10': 2 },
    });
  });

  it('never add up money in different currencies', () => {
    const usd = line('5b0e9a42-0000-4000-8000-0000000000ab', 'HD-01', 'Headset', 1, 3_000);
    const counters = recomputeCounters(
      snapshotsOf(orderHistoryTo('PAID'), [
        orderPlaced({ orderId: OTHER_ORDER, lines: [usd], totalCents: 3_000, currency: 'USD' }),
        orderPaid({ orderId: OTHER_ORDER, amountCents: 3_000, currency: 'USD' }),
      ]),
    );

    expect(counters.grossRevenueCents).toEqual({ EUR: TOTAL, USD: 3_000 });
  });

  it('start at zero for every status and at nothing for products and hours', () => {
    expect(recomputeCounters([])).toEqual({
      ordersPlaced: 0,
      ordersByStatus: { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 0 },
      grossRevenueCents: {},
      refundedCents: {},
      productUnits: {},
      productRevenueCents: {},
      ordersPerHour: {},
    });
  });

  it('drop a product whose every unit was cancelled again', () => {
    const placed = changeBy([], orderPlaced());
    const cancelled = changeBy(orderHistoryTo('PLACED'), orderCancelled());

    const counters = applyDeltas(applyDeltas(recomputeCounters([]), placed.deltas), cancelled.deltas);

    expect(counters.productUnits).toEqual({});
    expect(counters.productRevenueCents).toEqual({});
  });

  it('rank products by units sold, ties in descending product id as Redis ranks them', () => {
    const counters: AnalyticsCounters = {
      ...recomputeCounters([]),
      productUnits: { a: 5, b: 9, c: 5, d: 1 },
      productRevenueCents: { a: 500, b: 900, c: 50, d: 10 },
    };

    expect(topProductsByUnits(counters, 3)).toEqual([
      { productId: 'b', units: 9, revenueCents: 900 },
      { productId: 'c', units: 5, revenueCents: 50 },
      { productId: 'a', units: 5, revenueCents: 500 },
    ]);
    expect(topProductsByUnits(counters, 0)).toEqual([]);
  });
});

describe('counters kept by increments', () => {
  it.each([1, 2, 3])(
    'equal the counters recomputed from the snapshots, under redelivery and replay (seed %d)',
    (seed) => {
      const random = seededRandom(seed);
      const lifecycles = randomLifecycles(random, 300);
      const snapshots = new Map<string, OrderAnalyticsSnapshot>();
      let counters = recomputeCounters([]);
      let duplicates = 0;

      for (const event of deliveries(random, lifecycles)) {
        const result = applyAnalytics(snapshots.get(event.envelope.aggregateId), event);
        if (isRejection(result)) throw new Error(`rejected: ${JSON.stringify(result)}`);
        if (result === undefined) {
          duplicates++;
          continue;
        }
        // What the runtime's script does atomically: the snapshot and the increments together.
        snapshots.set(event.envelope.aggregateId, result.snapshot);
        counters = applyDeltas(counters, result.deltas);
      }

      expect(duplicates).toBeGreaterThan(lifecycles.length);
      expect(counters).toEqual(recomputeCounters(snapshots.values()));

      // And both agree with what the generated histories say they end as.
      const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
      const ending = (...statuses: string[]) =>
        lifecycles.filter((each) => statuses.includes(each.finalStatus));
      expect(counters.ordersPlaced).toBe(lifecycles.length);
      for (const status of ORDER_STATUSES) {
        expect(counters.ordersByStatus[status]).toBe(ending(status).length);
      }
      expect(counters.grossRevenueCents.EUR ?? 0).toBe(
        sum(ending('PAID', 'SHIPPED').map((each) => each.totalCents)),
      );
      expect(counters.refundedCents.EUR ?? 0).toBe(
        sum(lifecycles.filter((each) => each.refunded).map((each) => each.totalCents)),
      );
      expect(sum(Object.values(counters.productRevenueCents))).toBe(
        sum(ending('PLACED', 'PAID', 'SHIPPED').map((each) => each.totalCents)),
      );
      expect(sum(Object.values(counters.ordersPerHour))).toBe(lifecycles.length);
    },
  );
});

describe('a batch of one order folded at once', () => {
  it('reaches the same snapshot and counters as its events applied one at a time', () => {
    const random = seededRandom(7);
    for (const lifecycle of randomLifecycles(random, 100)) {
      const events = deliveries(random, [lifecycle]);
      let oneByOne: OrderAnalyticsSnapshot | undefined;
      let counters = recomputeCounters([]);
      let folded: OrderAnalyticsSnapshot | undefined;
      for (const { envelope, payload } of events) {
        const change = applyOrderToAnalytics(oneByOne, envelope, payload);
        if (change !== undefined && !isRejection(change)) {
          oneByOne = change.snapshot;
          counters = applyDeltas(counters, change.deltas);
        }
        const next = nextOrderSnapshot(folded, envelope, payload);
        if (next !== undefined && !isRejection(next)) folded = next;
      }
      expect(folded).toEqual(oneByOne);
      expect(applyDeltas(recomputeCounters([]), analyticsDeltas(undefined, folded))).toEqual(counters);
    }
  });
});

describe('product labels for the top-products list', () => {
  const labelAfter = (events: readonly Delivery[]) =>
    project<ProductLabel, Delivery>(
      (label, { envelope, payload }) =>
        applyProductToAnalytics(
          label,
          envelope as Delivery<'ProductAdded'>['envelope'],
          payload as Delivery<'ProductAdded'>['payload'],
        ),
      events,
    );

  it('take SKU and name from ProductAdded and follow the version through every product event', () => {
    expect(labelAfter([productAdded(), productPriceChanged(), stockReserved({ version: 3 })])).toEqual({
      productId: KEYBOARD,
      sku: 'KB-01',
      name: 'Keyboard',
      version: 3,
    });
  });

  it('change nothing on redelivery and refuse a gap in versions', () => {
    const label = labelAfter([productAdded(), productPriceChanged()]);
    const { envelope, payload } = productPriceChanged();

    expect(applyProductToAnalytics(label, envelope, payload)).toBeUndefined();
    const gap = stockReserved({ version: 4 });
    expect(applyProductToAnalytics(label, gap.envelope, gap.payload)).toMatchObject({
      kind: 'missing-predecessor',
    });
  });
});
