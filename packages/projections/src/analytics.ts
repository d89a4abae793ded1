// Analytics (Redis): exact counters over all orders, kept by increments.
//
// Each order keeps a small snapshot; an event turns the previous snapshot into the next, and the
// increments are the difference between what the two contribute to the counters. The runtime
// writes snapshot and increments in one atomic step, guarded by the snapshot's version, so a
// redelivered event changes nothing, and the counters always equal `recomputeCounters` of the
// snapshots — which is what the convergence checker compares.
import type { EventPayloads } from '@cqrs-shop/events';

import {
  type EnvelopeOf,
  type OrderEventType,
  type ProductEventType,
  typedEvent,
  unreachable,
} from './events.js';
import { type OrderStatus, statusAfter } from './order-lifecycle.js';
import { type ApplyResult, admit, heldState, isRejection } from './sequence.js';

/** What analytics needs of one order line. */
export interface AnalyticsLine {
  readonly productId: string;
  readonly quantity: number;
  /** Minor units of the order's currency. */
  readonly lineTotalCents: number;
}

/** What analytics keeps of one order: enough to compute everything it contributes to the counters. */
export interface OrderAnalyticsSnapshot {
  readonly orderId: string;
  /** The order aggregate's version this snapshot reflects. */
  readonly version: number;
  readonly status: OrderStatus;
  readonly totalCents: number;
  /** ISO 4217 code of `totalCents`, `refundCents` and the lines' totals. */
  readonly currency: string;
  /** Set when a paid order was cancelled, so that refunds can be recomputed from snapshots. */
  readonly refundCents: number | null;
  readonly lines: readonly AnalyticsLine[];
  /** The UTC hour the order was placed in, e.g. `2026-11-24T10`; see {@link hourBucket}. */
  readonly placedHour: string;
}

/**
 * One increment of one counter (`by` may be negative). Plain counters are single numbers, `field`
 * counters hashes (HINCRBY), `member` counters sorted sets (ZINCRBY) so that top-N is a range read.
 */
export type CounterDelta =
  | { readonly counter: 'ordersPlaced'; readonly by: number }
  | { readonly counter: 'grossRevenueCents'; readonly field: string; readonly by: number }
  | { readonly counter: 'refundedCents'; readonly field: string; readonly by: number }
  | { readonly counter: 'ordersByStatus'; readonly field: OrderStatus; readonly by: number }
  | { readonly counter: 'ordersPerHour'; readonly field: string; readonly by: number }
  | { readonly counter: 'productUnits'; readonly member: string; readonly by: number }
  | { readonly counter: 'productRevenueCents'; readonly member: string; readonly by: number };

/** An order's next snapshot and the increments that move the counters from the previous one. */
export interface AnalyticsChange {
  readonly snapshot: OrderAnalyticsSnapshot;
  /** Non-zero increments only, in a stable order; empty when the event moves no counter. */
  readonly deltas: readonly CounterDelta[];
}

/**
 * Every counter, as Redis should hold it. A counter at zero is absent from the sparse records
 * (Redis may keep a field or member at 0: compare absent as 0); `ordersByStatus` always has every status.
 */
export interface AnalyticsCounters {
  /** Orders ever placed, whatever happened to them since. */
  readonly ordersPlaced: number;
  /** Orders by their current status. */
  readonly ordersByStatus: Readonly<Record<OrderStatus, number>>;
  /**
   * Per currency (money in different currencies is never added up): sum of the totals of orders
   * now PAID or SHIPPED; a paid order that is cancelled leaves it.
   */
  readonly grossRevenueCents: Readonly<Record<string, number>>;
  /** Per currency: sum of the refunds of paid orders that were cancelled. */
  readonly refundedCents: Readonly<Record<string, number>>;
  /** Units sold per product id, over orders not cancelled. */
  readonly productUnits: Readonly<Record<string, number>>;
  /** Revenue per product id (sum of line totals), over orders not cancelled. */
  readonly productRevenueCents: Readonly<Record<string, number>>;
  /** Orders placed per UTC hour of placement, e.g. `{ '2026-11-24T10': 3 }`. */
  readonly ordersPerHour: Readonly<Record<string, number>>;
}

/** A product's sales, as {@link topProductsByUnits} ranks them. */
export interface ProductSales {
  readonly productId: string;
  readonly units: number;
  readonly revenueCents: number;
}

/**
 * Applies an order event to the order's analytics snapshot.
 *
 * @param snapshot the snapshot held for `envelope.aggregateId`, or undefined when there is none
 * @returns the next snapshot and the counter increments; `undefined` when already applied; a
 *   rejection when out of sequence or not allowed by the order's lifecycle (see `applyOrderEvent`)
 */
export function applyOrderToAnalytics<T extends OrderEventType>(
  snapshot: OrderAnalyticsSnapshot | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<AnalyticsChange> {
  const next = nextOrderSnapshot(snapshot, envelope, payload);
  if (next === undefined || isRejection(next)) return next;
  return { snapshot: next, deltas: difference(contributions(snapshot), contributions(next)) };
}

/**
 * The order's analytics snapshot after an event, without the increments: folding a batch's
 * events of one order needs only the last snapshot, whose increments {@link analyticsDeltas}
 * gives at once.
 *
 * @returns as {@link applyOrderToAnalytics}, the snapshot alone
 */
export function nextOrderSnapshot<T extends OrderEventType>(
  snapshot: OrderAnalyticsSnapshot | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<OrderAnalyticsSnapshot> {
  const event = typedEvent<OrderEventType>(envelope, payload);
  const admission = admit(snapshot?.version, envelope, {
    creates: event.type === 'OrderPlaced',
    payloadAggregateId: event.payload.orderId,
  });
  if (admission === 'already-applied') return undefined;
  if (admission !== 'apply') return admission;
  const version = envelope.aggregateVersion;
  let next: OrderAnalyticsSnapshot;
  switch (event.type) {
    case 'OrderPlaced': {
      const { orderId, totalCents, currency, lines } = event.payload;
      next = {
        orderId,
        version,
        status: 'PLACED',
        totalCents,
        currency,
        refundCents: null,
        lines: lines.map(({ productId, quantity, lineTotalCents }) => ({
          productId,
          quantity,
          lineTotalCents,
        })),
        placedHour: hourBucket(envelope.occurredAt),
      };
      break;
    }
    case 'OrderPaid':
    case 'OrderShipped':
    case 'OrderCancelled': {
      const held = heldState(snapshot, envelope);
      const status = statusAfter(held, envelope, event);
      if (typeof status !== 'string') return status;
      const refundCents = event.type === 'OrderCancelled' ? event.payload.refundCents : held.refundCents;
      next = { ...held, version, status, refundCents };
      break;
    }
    default:
      return unreachable(event, 'order event');
  }
  return next;
}

/** How the top-products list names a product: its SKU and name, and the version they reflect. */
export interface ProductLabel {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  /** The product aggregate's version: every product event moves it, so tokens can be honoured. */
  readonly version: number;
}

/**
 * Applies a product event to the product's label. Only `ProductAdded` names a product (SKU and
 * name never change on the write side); the others just move the version.
 *
 * @returns the next label, `undefined` when already applied, or a rejection out of sequence
 */
export function applyProductToAnalytics<T extends ProductEventType>(
  label: ProductLabel | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<ProductLabel> {
  const event = typedEvent<ProductEventType>(envelope, payload);
  const admission = admit(label?.version, envelope, {
    creates: event.type === 'ProductAdded',
    payloadAggregateId: event.payload.productId,
  });
  if (admission === 'already-applied') return undefined;
  if (admission !== 'apply') return admission;
  const version = envelope.aggregateVersion;
  if (event.type === 'ProductAdded') {
    const { productId, sku, name } = event.payload;
    return { productId, sku, name, version };
  }
  return { ...heldState(label, envelope), version };
}

/**
 * The counter increments that take an order from one snapshot to another, however many events
 * lie between them: what the runtime writes for a batch's events of one order.
 */
export function analyticsDeltas(
  before: OrderAnalyticsSnapshot | undefined,
  after: OrderAnalyticsSnapshot | undefined,
): CounterDelta[] {
  return difference(contributions(before), contributions(after));
}

/**
 * All counters computed from scratch from every order's snapshot: what the increments must add
 * up to. The convergence checker compares this with Redis.
 */
export function recomputeCounters(snapshots: Iterable<OrderAnalyticsSnapshot>): AnalyticsCounters {
  const tally = new Tally();
  for (const snapshot of snapshots) tally.add(contributions(snapshot));
  return tally.counters();
}

/** The counters after `deltas`: what the runtime's script does in Redis, as a pure function. */
export function applyDeltas(counters: AnalyticsCounters, deltas: readonly CounterDelta[]): AnalyticsCounters {
  const tally = new Tally(counters);
  tally.add(deltas);
  return tally.counters();
}

/**
 * The `n` products with the most units sold, most first; ties in descending product id, the
 * order Redis's ZREVRANGE gives a sorted set's equal scores.
 */
export function topProductsByUnits(counters: AnalyticsCounters, n: number): ProductSales[] {
  return Object.entries(counters.productUnits)
    .filter(([, units]) => units > 0)
    .sort(([a, unitsA], [b, unitsB]) => unitsB - unitsA || (a < b ? 1 : a > b ? -1 : 0))
    .slice(0, Math.max(0, n))
    .map(([productId, units]) => ({
      productId,
      units,
      revenueCents: counters.productRevenueCents[productId] ?? 0,
    }));
}

/**
 * The UTC hour an instant falls in, as `YYYY-MM-DDTHH` (`2026-11-24T10:59:59.999Z` →
 * `2026-11-24T10`): the bucket of the orders-per-hour counter.
 *
 * @throws {RangeError} when `occurredAt` is not a time.
 */
export function hourBucket(occurredAt: string): string {
  const time = Date.parse(occurredAt);
  if (Number.isNaN(time)) throw new RangeError(`not a time: ${JSON.stringify(occurredAt)}`);
  return new Date(time).toISOString().slice(0, 13);
}

/** What one order adds to the counters in its current state; nothing before it was placed. */
function contributions(snapshot: OrderAnalyticsSnapshot | undefined): CounterDelta[] {
  if (snapshot === undefined) return [];
  const { status, totalCents, currency, refundCents, lines, placedHour } = snapshot;
  const deltas: CounterDelta[] = [
    { counter: 'ordersPlaced', by: 1 },
    { counter: 'ordersPerHour', field: placedHour, by: 1 },
    { counter: 'ordersByStatus', field: status, by: 1 },
  ];
  if (status === 'PAID' || status === 'SHIPPED')
    deltas.push({ counter: 'grossRevenueCents', field: currency, by: totalCents });
  if (refundCents !== null) deltas.push({ counter: 'refundedCents', field: currency, by: refundCents });
  if (status !== 'CANCELLED') {
    for (const line of lines) {
      deltas.push({ counter: 'productUnits', member: line.productId, by: line.quantity });
      deltas.push({ counter: 'productRevenueCents', member: line.productId, by: line.lineTotalCents });
    }
  }
  return deltas;
}

/** `after − before`, merged per counter, field and member, without zeros; in first-seen order. */
function difference(before: readonly CounterDelta[], after: readonly CounterDelta[]): CounterDelta[] {
  // Sums first, one delta object per key at the end: a rebuild runs this for every event.
  const merged = new Map<string, { delta: CounterDelta; by: number }>();
  const add = (delta: CounterDelta, sign: 1 | -1) => {
    const key = deltaKey(delta);
    const sum = merged.get(key);
    if (sum) sum.by += sign * delta.by;
    else merged.set(key, { delta, by: sign * delta.by });
  };
  for (const delta of before) add(delta, -1);
  for (const delta of after) add(delta, 1);
  const deltas: CounterDelta[] = [];
  for (const { delta, by } of merged.values())
    if (by !== 0) deltas.push(by === delta.by ? delta : { ...delta, by });
  return deltas;
}

function deltaKey(delta: CounterDelta): string {
  const within = 'field' in delta ? delta.field : 'member' in delta ? delta.member : '';
  return `${delta.counter}\u0000${within}`;
}

/** Counters being summed up. Maps, not objects, so that no product id can touch a prototype. */
class Tally {
  private ordersPlaced: number;
  private readonly grossRevenueCents: Map<string, number>;
  private readonly refundedCents: Map<string, number>;
  private readonly ordersByStatus: Record<OrderStatus, number>;
  private readonly productUnits: Map<string, number>;
  private readonly productRevenueCents: Map<string, number>;
  private readonly ordersPerHour: Map<string, number>;

  constructor(start?: AnalyticsCounters) {
    this.ordersPlaced = start?.ordersPlaced ?? 0;
    this.grossRevenueCents = new Map(Object.entries(start?.grossRevenueCents ?? {}));
    this.refundedCents = new Map(Object.entries(start?.refundedCents ?? {}));
    this.ordersByStatus = { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 0, ...start?.ordersByStatus };
    this.productUnits = new Map(Object.entries(start?.productUnits ?? {}));
    this.productRevenueCents = new Map(Object.entries(start?.productRevenueCents ?? {}));
    this.ordersPerHour = new Map(Object.entries(start?.ordersPerHour ?? {}));
  }

  add(deltas: readonly CounterDelta[]): void {
    for (const delta of deltas) {
      switch (delta.counter) {
        case 'ordersPlaced':
          this.ordersPlaced += delta.by;
          break;
        case 'grossRevenueCents':
          increment(this.grossRevenueCents, delta.field, delta.by);
          break;
        case 'refundedCents':
          increment(this.refundedCents, delta.field, delta.by);
          break;
        case 'ordersByStatus':
          this.ordersByStatus[delta.field] += delta.by;
          break;
        case 'ordersPerHour':
          increment(this.ordersPerHour, delta.field, delta.by);
          break;
        case 'productUnits':
          increment(this.productUnits, delta.member, delta.by);
          break;
        case 'productRevenueCents':
          increment(this.productRevenueCents, delta.member, delta.by);
          break;
        default:
          unreachable(delta, 'counter');
      }
    }
  }

  counters(): AnalyticsCounters {
    return {
      ordersPlaced: this.ordersPlaced,
      ordersByStatus: { ...this.ordersByStatus },
      grossRevenueCents: sparse(this.grossRevenueCents),
      refundedCents: sparse(this.refundedCents),
      productUnits: sparse(this.productUnits),
      productRevenueCents: sparse(this.productRevenueCents),
      ordersPerHour: sparse(this.ordersPerHour),
    };
  }
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

/** Non-zero entries, sorted by key, as a plain object (`fromEntries` defines own properties only). */
function sparse(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...counts].filter(([, count]) => count !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
