// What the projections make of a write-model aggregate's events: the documents a converged read
// model stores, built with the projections' own pure functions.
import type { EventPayloads } from '@cqrs-shop/events';
import {
  applyOrderEvent,
  applyOrderSearchEvent,
  applyOrderToAnalytics,
  applyProductEvent,
  applyProductToAnalytics,
  type ApplyResult,
  type EnvelopeOf,
  isRejection,
  type OrderAnalyticsSnapshot,
  type OrderEventType,
  type OrderHistoryDocument,
  type OrderSearchDocument,
  type ProductLabel,
  type ProductSearchDocument,
  withCustomer,
  withOrderSearchCustomer,
} from '@cqrs-shop/projections';
import type { StoredOrder } from '@cqrs-shop/read-models';
import { testEnvelope } from '@cqrs-shop/testing';
import type { WriteOrder, WriteProduct } from '../src/write-model.js';

type OrderDelivery = {
  [T in OrderEventType]: { readonly envelope: EnvelopeOf<T>; readonly payload: EventPayloads[T] };
}[OrderEventType];

type ApplyOrder<S> = <T extends OrderEventType>(
  held: S | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
) => ApplyResult<S>;

function applied<T extends object>(result: ApplyResult<T>): T {
  if (result === undefined || isRejection(result)) throw new Error(`not applied: ${JSON.stringify(result)}`);
  return result;
}

/**
 * The events that bring an order to its write-model state: OrderPlaced at `placedAt`, then one
 * event per status step, a minute apart.
 */
export function orderEvents(order: WriteOrder, placedAt: string): OrderDelivery[] {
  const { orderId, customerId, lines, totalCents, currency, channel, refundCents } = order;
  const at = (version: number) => new Date(Date.parse(placedAt) + (version - 1) * 60_000).toISOString();
  const paid = (version: number): OrderDelivery => ({
    envelope: testEnvelope('OrderPaid', orderId, version, at(version)),
    payload: { orderId, amountCents: totalCents, currency },
  });
  const cancelled = (version: number, previousStatus: 'PLACED' | 'PAID'): OrderDelivery => ({
    envelope: testEnvelope('OrderCancelled', orderId, version, at(version)),
    payload: { orderId, previousStatus, refundCents, currency },
  });
  const placed: OrderDelivery = {
    envelope: testEnvelope('OrderPlaced', orderId, 1, placedAt),
    payload: { orderId, customerId, lines: [...lines], totalCents, currency, channel },
  };
  switch (order.status) {
    case 'PLACED':
      return [placed];
    case 'PAID':
      return [placed, paid(2)];
    case 'SHIPPED':
      return [
        placed,
        paid(2),
        { envelope: testEnvelope('OrderShipped', orderId, 3, at(3)), payload: { orderId } },
      ];
    case 'CANCELLED':
      return refundCents === null
        ? [placed, cancelled(2, 'PLACED')]
        : [placed, paid(2), cancelled(3, 'PAID')];
  }
}

function fold<S extends object>(deliveries: readonly OrderDelivery[], apply: ApplyOrder<S>): S {
  let state: S | undefined;
  for (const { envelope, payload } of deliveries) state = applied(apply(state, envelope, payload));
  if (state === undefined) throw new Error('no events');
  return state;
}

const customerOf = (order: WriteOrder) =>
  order.customer && { customerId: order.customerId, ...order.customer, version: 1 };

/** The order's history document, customer joined, as the projector stores it (`_id` = order id). */
export function projectedHistory(order: WriteOrder, placedAt: string): StoredOrder {
  const document = fold<OrderHistoryDocument>(orderEvents(order, placedAt), applyOrderEvent);
  const customer = customerOf(order);
  const { orderId, ...fields } = customer ? withCustomer(document, customer) : document;
  return { _id: orderId, ...fields };
}

export function projectedOrderSearch(order: WriteOrder, placedAt: string): OrderSearchDocument {
  const document = fold<OrderSearchDocument>(orderEvents(order, placedAt), applyOrderSearchEvent);
  const customer = customerOf(order);
  return customer ? withOrderSearchCustomer(document, customer) : document;
}

export function projectedSnapshot(order: WriteOrder, placedAt: string): OrderAnalyticsSnapshot {
  return fold<OrderAnalyticsSnapshot>(orderEvents(order, placedAt), (held, envelope, payload) => {
    const change = applyOrderToAnalytics(held, envelope, payload);
    return change === undefined || isRejection(change) ? change : change.snapshot;
  });
}

/** ProductAdded with the write model's figures, then restocks of nothing up to its version. */
function productEvents(product: WriteProduct) {
  const { productId, sku, name, description, priceCents, currency, stock } = product;
  return {
    added: {
      envelope: testEnvelope('ProductAdded', productId, 1),
      payload: { productId, sku, name, description, priceCents, currency, stock },
    },
    restocks: Array.from({ length: product.version - 1 }, (_, i) => ({
      envelope: testEnvelope('ProductRestocked', productId, i + 2),
      payload: { productId, quantity: 0, stock },
    })),
  };
}

export function projectedProductSearch(product: WriteProduct): ProductSearchDocument {
  const { added, restocks } = productEvents(product);
  let document = applied(applyProductEvent(undefined, added.envelope, added.payload));
  for (const { envelope, payload } of restocks)
    document = applied(applyProductEvent(document, envelope, payload));
  return document;
}

export function projectedLabel(product: WriteProduct): ProductLabel {
  const { added, restocks } = productEvents(product);
  let label = applied(applyProductToAnalytics(undefined, added.envelope, added.payload));
  for (const { envelope, payload } of restocks)
    label = applied(applyProductToAnalytics(label, envelope, payload));
  return label;
}
