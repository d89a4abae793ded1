// Analytics (Redis): each order's snapshot, each product's label, and the counters over all orders.
import {
  type AnalyticsCounters,
  ORDER_STATUSES,
  type OrderAnalyticsSnapshot,
  type ProductLabel,
  recomputeCounters,
} from '@cqrs-shop/projections';
import {
  counterKey,
  type Difference,
  fieldDifferences,
  missingDifference,
  orderKey,
  productKey,
} from './differences.js';
import { expectedPlacedHour } from './placement.js';
import type { WriteOrder, WriteProduct } from './write-model.js';

/** The order's snapshot as the write model implies it, counted in `placedHour`. */
export function expectedSnapshot(order: WriteOrder, placedHour: string): OrderAnalyticsSnapshot {
  return {
    orderId: order.orderId,
    version: order.version,
    status: order.status,
    totalCents: order.totalCents,
    currency: order.currency,
    refundCents: order.refundCents,
    lines: order.lines.map(({ productId, quantity, lineTotalCents }) => ({
      productId,
      quantity,
      lineTotalCents,
    })),
    placedHour,
  };
}

export interface SnapshotComparison {
  /** What the order should contribute to the counters. */
  readonly expected: OrderAnalyticsSnapshot;
  readonly differences: Difference[];
}

/**
 * How an order's stored snapshot differs from the write model's order; `stored` is the parsed
 * JSON, undefined when there is none. The expected hour is resolved against the stored one
 * (see `expectedPlacedHour`), within `toleranceMs`.
 */
export function compareSnapshot(order: WriteOrder, stored: unknown, toleranceMs: number): SnapshotComparison {
  const placedHour = expectedPlacedHour(order.placement, storedPlacedHour(stored), toleranceMs);
  const expected = expectedSnapshot(order, placedHour);
  const aggregate = orderKey(order.orderId);
  const differences =
    stored === undefined
      ? [missingDifference('analytics', aggregate, order.version)]
      : fieldDifferences('analytics', aggregate, expected, stored);
  return { expected, differences };
}

function storedPlacedHour(stored: unknown): string | undefined {
  if (typeof stored !== 'object' || stored === null || !('placedHour' in stored)) return undefined;
  return typeof stored.placedHour === 'string' ? stored.placedHour : undefined;
}

/** A product's label: SKU and name never change on the write side; the version moves with every event. */
export function expectedLabel(product: WriteProduct): ProductLabel {
  const { productId, sku, name, version } = product;
  return { productId, sku, name, version };
}

/** `stored` is the parsed JSON label, undefined when there is none. */
export function compareLabel(product: WriteProduct, stored: unknown): Difference[] {
  const aggregate = productKey(product.productId);
  if (stored === undefined) return [missingDifference('analytics', aggregate, product.version)];
  return fieldDifferences('analytics', aggregate, expectedLabel(product), stored);
}

/** The counters of no orders at all: where a running total starts. */
export const NO_COUNTERS: AnalyticsCounters = recomputeCounters([]);

/**
 * The counters of two disjoint sets of orders together, so that the checker can total batch by
 * batch and hold nothing but counters.
 */
export function addCounters(a: AnalyticsCounters, b: AnalyticsCounters): AnalyticsCounters {
  return {
    ordersPlaced: a.ordersPlaced + b.ordersPlaced,
    ordersByStatus: Object.fromEntries(
      ORDER_STATUSES.map((status) => [status, a.ordersByStatus[status] + b.ordersByStatus[status]]),
    ) as AnalyticsCounters['ordersByStatus'],
    grossRevenueCents: addCounts(a.grossRevenueCents, b.grossRevenueCents),
    refundedCents: addCounts(a.refundedCents, b.refundedCents),
    productUnits: addCounts(a.productUnits, b.productUnits),
    productRevenueCents: addCounts(a.productRevenueCents, b.productRevenueCents),
    ordersPerHour: addCounts(a.ordersPerHour, b.ordersPerHour),
  };
}

type Counts = Readonly<Record<string, number>>;

/** Sums per key, without zeros, sorted by key (the shape `recomputeCounters` gives). */
function addCounts(a: Counts, b: Counts): Record<string, number> {
  const sums = new Map(Object.entries(a));
  for (const [key, count] of Object.entries(b)) sums.set(key, (sums.get(key) ?? 0) + count);
  return Object.fromEntries(
    [...sums].filter(([, count]) => count !== 0).sort(([x], [y]) => compareText(x, y)),
  );
}

/** Own keys only: a product id such as `constructor` must not find Object's. */
const countOf = (counts: Counts, key: string) => (Object.hasOwn(counts, key) ? (counts[key] ?? 0) : 0);

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The counters whose sparse records are compared key by key (an absent key counts as 0). */
const KEYED_COUNTERS = [
  'grossRevenueCents',
  'refundedCents',
  'productUnits',
  'productRevenueCents',
  'ordersPerHour',
] as const satisfies readonly (keyof AnalyticsCounters)[];

/**
 * How the stored counters differ from those recomputed from the write model, one difference per
 * counter and key: `counter:<name>` with the key (status, currency, product id, hour) as field,
 * or `value` for the single number `ordersPlaced`.
 */
export function compareCounters(expected: AnalyticsCounters, actual: AnalyticsCounters): Difference[] {
  const differences: Difference[] = [];
  const differ = (counter: keyof AnalyticsCounters, field: string, want: number, got: number) => {
    if (want !== got)
      differences.push({
        kind: 'field',
        readModel: 'analytics',
        aggregate: counterKey(counter),
        field,
        expected: want,
        actual: got,
      });
  };
  differ('ordersPlaced', 'value', expected.ordersPlaced, actual.ordersPlaced);
  for (const status of ORDER_STATUSES)
    differ('ordersByStatus', status, expected.ordersByStatus[status], actual.ordersByStatus[status]);
  for (const counter of KEYED_COUNTERS) {
    const [want, got] = [expected[counter], actual[counter]];
    const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort(compareText);
    for (const key of keys) differ(counter, key, countOf(want, key), countOf(got, key));
  }
  return differences;
}

/** How many counters {@link compareCounters} compares, for the report's count. */
export const COUNTER_COUNT = 2 + KEYED_COUNTERS.length;
