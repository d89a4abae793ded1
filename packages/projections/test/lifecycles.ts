// Random but reproducible order histories, delivered the way Kafka may deliver them: interleaved
// across orders, in order within each order, with redeliveries and a full replay at the end.
import type { OrderEventType, OrderStatus } from '@cqrs-shop/projections';

import {
  ALICE,
  type Delivery,
  line,
  orderCancelled,
  orderPaid,
  orderPlaced,
  orderShipped,
} from './builders.js';

/** A seeded PRNG (mulberry32): the same seed gives the same sequence, so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A whole number from 0 to `below - 1`. */
function pick(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

/** A shuffled copy (Fisher–Yates). */
function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = pick(random, i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const CHANNELS = ['WEB', 'MOBILE_APP', 'MARKETPLACE', 'PHONE'] as const;

const CATALOGUE = [
  { productId: '5b0e9a42-0000-4000-8000-000000000001', sku: 'KB-01', name: 'Keyboard', priceCents: 4_999 },
  { productId: '5b0e9a42-0000-4000-8000-000000000002', sku: 'MS-01', name: 'Mouse', priceCents: 1_950 },
  { productId: '5b0e9a42-0000-4000-8000-000000000003', sku: 'MG-01', name: 'Blue mug', priceCents: 1_200 },
  { productId: '5b0e9a42-0000-4000-8000-000000000004', sku: 'CB-01', name: 'USB-C cable', priceCents: 899 },
  { productId: '5b0e9a42-0000-4000-8000-000000000005', sku: 'MN-01', name: 'Monitor', priceCents: 18_900 },
] as const;

/** Every way an order can go, as the write side allows it. */
const PATHS = [
  ['PLACED'],
  ['PLACED', 'PAID'],
  ['PLACED', 'PAID', 'SHIPPED'],
  ['PLACED', 'CANCELLED'],
  ['PLACED', 'PAID', 'CANCELLED'],
] as const satisfies readonly (readonly OrderStatus[])[];

/** One order's history, and what it ends as (the test's oracle). */
export interface Lifecycle {
  readonly orderId: string;
  readonly events: readonly Delivery<OrderEventType>[];
  readonly finalStatus: OrderStatus;
  readonly totalCents: number;
  /** Whether it was paid and then cancelled. */
  readonly refunded: boolean;
}

const START = Date.parse('2026-11-24T00:00:00.000Z');
const MINUTE = 60_000;

/** `count` orders of 1–3 distinct products, placed over two days, each along a random path. */
export function randomLifecycles(random: () => number, count: number): Lifecycle[] {
  return Array.from({ length: count }, (_, index) => {
    const orderId = `7d3c1f00-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
    const products = shuffled(random, CATALOGUE).slice(0, 1 + pick(random, 3));
    const lines = products.map((product) =>
      line(product.productId, product.sku, product.name, 1 + pick(random, 5), product.priceCents),
    );
    const totalCents = lines.reduce((sum, each) => sum + each.lineTotalCents, 0);
    const path = PATHS[pick(random, PATHS.length)] ?? PATHS[0];
    let time = START + pick(random, 48 * 60) * MINUTE;
    const at = () => {
      const now = new Date(time).toISOString();
      time += (1 + pick(random, 600)) * MINUTE;
      return now;
    };
    const events: Delivery<OrderEventType>[] = [
      // The channel by index, not by `random`, so that the other draws stay as they were.
      orderPlaced({
        orderId,
        customerId: ALICE,
        lines,
        totalCents,
        channel: CHANNELS[index % CHANNELS.length] ?? 'WEB',
        at: at(),
      }),
    ];
    path.slice(1).forEach((status, step) => {
      const version = step + 2;
      const previous = path[step] ?? 'PLACED';
      if (status === 'PAID') {
        events.push(orderPaid({ orderId, amountCents: totalCents, version, at: at() }));
      } else if (status === 'SHIPPED') {
        events.push(orderShipped({ orderId, version, at: at() }));
      } else {
        const previousStatus = previous === 'PAID' ? 'PAID' : 'PLACED';
        const refundCents = previousStatus === 'PAID' ? totalCents : null;
        events.push(orderCancelled({ orderId, previousStatus, refundCents, version, at: at() }));
      }
    });
    const finalStatus = path[path.length - 1] ?? 'PLACED';
    return { orderId, events, finalStatus, totalCents, refunded: path.join() === 'PLACED,PAID,CANCELLED' };
  });
}

/**
 * The lifecycles' events as a consumer may receive them: orders interleaved at random, each
 * order's events in version order, and after some events a rewind that delivers an order's
 * events again from an earlier one (a restart from an older committed offset); then the whole
 * history once more (a replay into the same store).
 */
export function deliveries(
  random: () => number,
  lifecycles: readonly Lifecycle[],
  redeliveryRate = 0.2,
): Delivery<OrderEventType>[] {
  const delivered: Delivery<OrderEventType>[] = [];
  const next = new Map(lifecycles.map((lifecycle) => [lifecycle, 0]));
  while (next.size > 0) {
    const pending = [...next.keys()];
    const lifecycle = pending[pick(random, pending.length)];
    if (lifecycle === undefined) break;
    const position = next.get(lifecycle) ?? 0;
    const from = random() < redeliveryRate ? pick(random, position + 1) : position;
    delivered.push(...lifecycle.events.slice(from, position + 1));
    if (position + 1 >= lifecycle.events.length) next.delete(lifecycle);
    else next.set(lifecycle, position + 1);
  }
  return [...delivered, ...lifecycles.flatMap((lifecycle) => lifecycle.events)];
}
