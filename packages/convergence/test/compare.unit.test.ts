import { recomputeCounters } from '@cqrs-shop/projections';
import {
  addCounters,
  compareCounters,
  compareLabel,
  compareSnapshot,
  NO_COUNTERS,
} from '../src/analytics-compare.js';
import { renderOrder } from '@cqrs-shop/read-models';
import { compareOrderHistory, compareOrderView } from '../src/order-history-compare.js';
import { compareOrderSearch, compareProductSearch } from '../src/search-compare.js';
import { MUG, TEE, writeOrder, writeProduct } from './fixtures.js';
import {
  projectedHistory,
  projectedLabel,
  projectedOrderSearch,
  projectedProductSearch,
  projectedSnapshot,
} from './projected.js';

const TOLERANCE = 300_000;
const PLACED_AT = '2026-11-24T10:15:00.000Z';

/** Orders in every status, to hold the expectations against what the projections make of them. */
const ORDERS = [
  writeOrder({ status: 'PLACED', version: 1 }),
  writeOrder({ status: 'PAID', version: 2 }),
  writeOrder({ status: 'SHIPPED', version: 3 }),
  writeOrder({ status: 'CANCELLED', version: 2 }),
  writeOrder({ status: 'CANCELLED', version: 3, refundCents: 4_900 }),
];

describe('order history', () => {
  it.each(ORDERS.map((order) => [order.status, order.version, order] as const))(
    'finds nothing in the document the projection makes of a %s order at version %d',
    (_status, _version, order) => {
      expect(compareOrderHistory(order, projectedHistory(order, PLACED_AT))).toEqual([]);
    },
  );

  it('reports each differing field with the order, and the lines by position', () => {
    const order = writeOrder();
    const stored = projectedHistory(order, PLACED_AT);
    const broken = {
      ...stored,
      status: 'PLACED',
      customer: { name: 'Ada Lovelace', email: 'ada@old.example.com' },
      lines: [stored.lines[0], { ...stored.lines[1], quantity: 3 }],
    };
    expect(compareOrderHistory(order, broken)).toEqual([
      {
        kind: 'field',
        readModel: 'order-history',
        aggregate: `order:${order.orderId}`,
        field: 'customer.email',
        expected: 'ada@example.com',
        actual: 'ada@old.example.com',
      },
      expect.objectContaining({ field: 'status', expected: 'PAID', actual: 'PLACED' }),
      expect.objectContaining({ field: 'lines[1].quantity', expected: 1, actual: 3 }),
    ]);
  });

  it('reports a channel that differs from the order row, e.g. a document built before channels', () => {
    const order = writeOrder({ channel: 'PHONE' });
    const { channel: _dropped, ...withoutChannel } = projectedHistory(order, PLACED_AT);
    expect(compareOrderHistory(order, { ...projectedHistory(order, PLACED_AT), channel: 'WEB' })).toEqual([
      expect.objectContaining({
        readModel: 'order-history',
        field: 'channel',
        expected: 'PHONE',
        actual: 'WEB',
      }),
    ]);
    expect(compareOrderHistory(order, withoutChannel)).toEqual([
      expect.objectContaining({ field: 'channel', expected: 'PHONE' }),
    ]);
  });

  it('reports a customer never joined, and a missing document', () => {
    const order = writeOrder();
    expect(compareOrderHistory(order, { ...projectedHistory(order, PLACED_AT), customer: null })).toEqual([
      expect.objectContaining({ field: 'customer', actual: null }),
    ]);
    expect(compareOrderHistory(order, undefined)).toEqual([
      expect.objectContaining({ kind: 'missing', expected: 2, actual: null }),
    ]);
  });

  it('compares placedAt only while the outbox holds the OrderPlaced event', () => {
    const exact = writeOrder();
    const stored = projectedHistory(exact, '2026-11-24T10:14:59.000Z');
    expect(compareOrderHistory(exact, stored)).toEqual([
      expect.objectContaining({ field: 'placedAt', expected: PLACED_AT, actual: '2026-11-24T10:14:59.000Z' }),
    ]);
    const purged = writeOrder({
      placement: { recordedAt: '2026-11-24T10:15:00.004Z', eventOccurredAt: null },
    });
    expect(compareOrderHistory(purged, stored)).toEqual([]);
  });
});

describe('order views', () => {
  const viewOf = (order: ReturnType<typeof writeOrder>) => {
    const { _id, ...fields } = projectedHistory(order, PLACED_AT);
    return renderOrder({ orderId: _id, ...fields });
  };

  it.each(ORDERS.map((order) => [order.status, order.version, order] as const))(
    'finds nothing in the view the projector renders of a %s order at version %d, listed for its customer',
    (_status, _version, order) => {
      expect(compareOrderView(order, { json: viewOf(order), listed: true })).toEqual([]);
    },
  );

  it('reports a missing view, a view behind the order, unreadable JSON, and an order its customer does not list', () => {
    const order = writeOrder({ status: 'PAID', version: 2 });
    const behind = viewOf(writeOrder({ ...order, status: 'PLACED', version: 1 }));
    const at = (field: string, expected: unknown, actual: unknown): unknown =>
      expect.objectContaining({ kind: 'field', readModel: 'order-history', field, expected, actual });
    expect(compareOrderView(order, { json: undefined, listed: false })).toEqual([
      at('view', 'an order view', null),
      at('view.customerOrders', "listed in its customer's orders", false),
    ]);
    expect(compareOrderView(order, { json: behind, listed: true })).toEqual([
      at('view.status', 'PAID', 'PLACED'),
      at('view.version', 2, 1),
    ]);
    expect(compareOrderView(order, { json: '{"orderId":', listed: true })).toEqual([
      at('view.(document)', expect.any(Object), '{"orderId":'),
    ]);
  });
});

describe('search', () => {
  it.each(ORDERS.map((order) => [order.status, order.version, order] as const))(
    'finds nothing in the document the projection makes of a %s order at version %d',
    (_status, _version, order) => {
      expect(compareOrderSearch(order, projectedOrderSearch(order, PLACED_AT))).toEqual([]);
    },
  );

  it('reports an order document that differs, or is missing', () => {
    const order = writeOrder();
    const stored = { ...projectedOrderSearch(order, PLACED_AT), skus: ['MUG-1'], version: 1 };
    expect(compareOrderSearch(order, stored)).toEqual([
      expect.objectContaining({ readModel: 'search', field: 'skus', expected: ['MUG-1', 'TEE-1'] }),
      expect.objectContaining({ field: 'version', expected: 2, actual: 1 }),
    ]);
    expect(compareOrderSearch(order, undefined)).toEqual([expect.objectContaining({ kind: 'missing' })]);
  });

  it('reports an order document whose channel differs from the order row', () => {
    const order = writeOrder({ channel: 'MARKETPLACE' });
    const stored = { ...projectedOrderSearch(order, PLACED_AT), channel: 'UNKNOWN' };
    expect(compareOrderSearch(order, stored)).toEqual([
      expect.objectContaining({
        readModel: 'search',
        field: 'channel',
        expected: 'MARKETPLACE',
        actual: 'UNKNOWN',
      }),
    ]);
  });

  it('finds nothing in the product document the projection makes, and reports a stale one', () => {
    const product = writeProduct({ description: null });
    expect(compareProductSearch(product, projectedProductSearch(product))).toEqual([]);
    const stale = projectedProductSearch(writeProduct({ description: null, stock: 9, version: 2 }));
    expect(compareProductSearch(product, stale)).toEqual([
      expect.objectContaining({ aggregate: `product:${MUG}`, field: 'stock', expected: 7, actual: 9 }),
      expect.objectContaining({ field: 'version', expected: 3, actual: 2 }),
    ]);
  });
});

describe('analytics', () => {
  it.each(ORDERS.map((order) => [order.status, order.version, order] as const))(
    'finds nothing in the snapshot the projection makes of a %s order at version %d',
    (_status, _version, order) => {
      const stored = projectedSnapshot(order, PLACED_AT);
      expect(compareSnapshot(order, stored, TOLERANCE)).toEqual({ expected: stored, differences: [] });
    },
  );

  it('counts a missing snapshot in the hour of placed_at once the outbox has been purged', () => {
    const order = writeOrder({
      placement: { recordedAt: '2026-11-24T11:00:00.003Z', eventOccurredAt: null },
    });
    const { expected, differences } = compareSnapshot(order, undefined, TOLERANCE);
    expect(expected.placedHour).toBe('2026-11-24T11');
    expect(differences).toEqual([expect.objectContaining({ readModel: 'analytics', kind: 'missing' })]);
  });

  it('accepts the hour the projector stored for an order placed a moment before the hour', () => {
    const order = writeOrder({
      placement: { recordedAt: '2026-11-24T11:00:00.003Z', eventOccurredAt: null },
    });
    const stored = projectedSnapshot(order, '2026-11-24T10:59:59.999Z');
    expect(compareSnapshot(order, stored, TOLERANCE).differences).toEqual([]);
    expect(compareSnapshot(order, { ...stored, placedHour: '2026-11-24T09' }, TOLERANCE).differences).toEqual(
      [expect.objectContaining({ field: 'placedHour', expected: '2026-11-24T11', actual: '2026-11-24T09' })],
    );
  });

  it('reports a snapshot that is not JSON as a whole', () => {
    expect(compareSnapshot(writeOrder(), '{oops', TOLERANCE).differences).toEqual([
      expect.objectContaining({ field: '(document)', actual: '{oops' }),
    ]);
  });

  it('compares product labels', () => {
    const product = writeProduct();
    expect(compareLabel(product, projectedLabel(product))).toEqual([]);
    expect(compareLabel(product, { ...projectedLabel(product), name: 'Mug' })).toEqual([
      expect.objectContaining({ aggregate: `product:${MUG}`, field: 'name', expected: 'Blue coffee mug' }),
    ]);
    expect(compareLabel(product, undefined)).toEqual([
      expect.objectContaining({ kind: 'missing', expected: 3 }),
    ]);
  });

  it('adds the counters of batches up to the counters of all their orders', () => {
    const snapshots = ORDERS.map((order, i) =>
      projectedSnapshot({ ...order, orderId: `order-${i}` }, i < 3 ? PLACED_AT : '2026-11-24T11:30:00.000Z'),
    );
    const inBatches = addCounters(
      addCounters(NO_COUNTERS, recomputeCounters(snapshots.slice(0, 2))),
      recomputeCounters(snapshots.slice(2)),
    );
    expect(inBatches).toEqual(recomputeCounters(snapshots));
  });

  it('reports each counter key that differs, an absent key counting as 0', () => {
    const expected = recomputeCounters([projectedSnapshot(writeOrder(), PLACED_AT)]);
    expect(compareCounters(expected, expected)).toEqual([]);
    const stored = {
      ...expected,
      ordersPlaced: 2,
      ordersByStatus: { ...expected.ordersByStatus, PLACED: 1 },
      productUnits: { [MUG]: 2 },
      ordersPerHour: { ...expected.ordersPerHour, constructor: 1 },
    };
    expect(compareCounters(expected, stored)).toEqual([
      {
        kind: 'field',
        readModel: 'analytics',
        aggregate: 'counter:ordersPlaced',
        field: 'value',
        expected: 1,
        actual: 2,
      },
      expect.objectContaining({
        aggregate: 'counter:ordersByStatus',
        field: 'PLACED',
        expected: 0,
        actual: 1,
      }),
      expect.objectContaining({ aggregate: 'counter:productUnits', field: TEE, expected: 1, actual: 0 }),
      expect.objectContaining({
        aggregate: 'counter:ordersPerHour',
        field: 'constructor',
        expected: 0,
        actual: 1,
      }),
    ]);
  });
});
