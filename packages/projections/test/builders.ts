// Given/When/Then helpers for the projections' unit tests: events as a projector receives them
// (envelope + decoded payload), built with small defaults, and folds that apply them in turn.
import type { AggregateType, EventEnvelope, EventPayloads, EventType } from '@cqrs-shop/events';
import { type ApplyResult, type OrderEventType, isRejection } from '@cqrs-shop/projections';

export const ALICE = '0c6f4a1e-0000-4000-8000-00000000a11c';
export const KEYBOARD = '5b0e9a42-0000-4000-8000-00000000000b';
export const MOUSE = '5b0e9a42-0000-4000-8000-00000000000c';
export const ORDER = '7d3c1f00-0000-4000-8000-000000000001';
export const OTHER_ORDER = '7d3c1f00-0000-4000-8000-000000000002';

/** When the default order was placed; later events default to a few minutes after. */
export const PLACED_AT = '2026-11-24T10:15:00.000Z';

/** An event as a projector receives it: the envelope from the headers, the decoded payload. */
export type Delivery<T extends EventType = EventType> = {
  [K in T]: {
    readonly envelope: EventEnvelope & { readonly eventType: K };
    readonly payload: EventPayloads[K];
  };
}[T];

/** The keyboard: 2 at 49.99 EUR. */
export const KEYBOARD_LINE = line(KEYBOARD, 'KB-01', 'Keyboard', 2, 4_999);
/** The mouse: 1 at 19.50 EUR. */
export const MOUSE_LINE = line(MOUSE, 'MS-01', 'Mouse', 1, 1_950);

export function line(
  productId: string,
  sku: string,
  productName: string,
  quantity: number,
  unitPriceCents: number,
): EventPayloads['OrderPlaced']['lines'][number] {
  return { productId, sku, productName, quantity, unitPriceCents, lineTotalCents: quantity * unitPriceCents };
}

/** Where an event sits in its aggregate's history, and when it happened. */
interface At {
  readonly version?: number;
  readonly at?: string;
}

/** Any event, with an envelope as `fromKafkaHeaders` would read it. */
export function delivery<T extends EventType>(
  eventType: T,
  aggregateType: AggregateType,
  aggregateId: string,
  { version = 1, at = PLACED_AT }: At,
  payload: EventPayloads[T],
): Delivery<T> {
  const envelope = {
    eventId: `${aggregateId.slice(0, 24)}${version.toString(16).padStart(12, '0')}`,
    eventType,
    aggregateType,
    aggregateId,
    aggregateVersion: version,
    occurredAt: at,
    commandId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
    correlationId: 'req-7f3a',
    causationId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
    schemaFingerprint: '7275d51a3f395c8f',
  };
  return { envelope, payload };
}

/** ORDER by ALICE for 2 keyboards and 1 mouse (119.48 EUR), version 1, unless overridden. */
export function orderPlaced(
  overrides: Partial<EventPayloads['OrderPlaced']> & At = {},
): Delivery<'OrderPlaced'> {
  const { version, at, ...data } = overrides;
  const lines = data.lines ?? [KEYBOARD_LINE, MOUSE_LINE];
  const payload = {
    orderId: ORDER,
    customerId: ALICE,
    lines,
    totalCents: lines.reduce((sum, each) => sum + each.lineTotalCents, 0),
    currency: 'EUR',
    channel: 'WEB' as const,
    ...data,
  };
  return delivery(
    'OrderPlaced',
    'order',
    payload.orderId,
    { version: version ?? 1, at: at ?? PLACED_AT },
    payload,
  );
}

/** ORDER paid in full (119.48 EUR) as version 2, unless overridden. */
export function orderPaid(overrides: Partial<EventPayloads['OrderPaid']> & At = {}): Delivery<'OrderPaid'> {
  const { version = 2, at = '2026-11-24T10:20:00.000Z', ...data } = overrides;
  const payload = { orderId: ORDER, amountCents: 11_948, currency: 'EUR', ...data };
  return delivery('OrderPaid', 'order', payload.orderId, { version, at }, payload);
}

/** ORDER shipped as version 3, unless overridden. */
export function orderShipped(
  overrides: Partial<EventPayloads['OrderShipped']> & At = {},
): Delivery<'OrderShipped'> {
  const { version = 3, at = '2026-11-25T08:00:00.000Z', ...data } = overrides;
  const payload = { orderId: ORDER, ...data };
  return delivery('OrderShipped', 'order', payload.orderId, { version, at }, payload);
}

/** ORDER cancelled while PLACED (no refund) as version 2, unless overridden. */
export function orderCancelled(
  overrides: Partial<EventPayloads['OrderCancelled']> & At = {},
): Delivery<'OrderCancelled'> {
  const { version = 2, at = '2026-11-24T11:00:00.000Z', ...data } = overrides;
  const payload = {
    orderId: ORDER,
    previousStatus: 'PLACED' as const,
    refundCents: null,
    currency: 'EUR',
    ...data,
  };
  return delivery('OrderCancelled', 'order', payload.orderId, { version, at }, payload);
}

/** ALICE registered, version 1, unless overridden. */
export function customerRegistered(
  overrides: Partial<EventPayloads['CustomerRegistered']> & At = {},
): Delivery<'CustomerRegistered'> {
  const { version = 1, at = '2026-11-20T09:00:00.000Z', ...data } = overrides;
  const payload = {
    customerId: ALICE,
    name: 'Alice Liddell',
    email: 'alice@example.com',
    givenName: 'Alice',
    familyName: 'Liddell',
    ...data,
  };
  return delivery('CustomerRegistered', 'customer', payload.customerId, { version, at }, payload);
}

/** The keyboard at 49.99 EUR with 10 on hand, version 1, unless overridden. */
export function productAdded(
  overrides: Partial<EventPayloads['ProductAdded']> & At = {},
): Delivery<'ProductAdded'> {
  const { version = 1, at = '2026-11-01T08:00:00.000Z', ...data } = overrides;
  const payload = {
    productId: KEYBOARD,
    sku: 'KB-01',
    name: 'Keyboard',
    description: 'A quiet mechanical keyboard',
    priceCents: 4_999,
    currency: 'EUR',
    stock: 10,
    ...data,
  };
  return delivery('ProductAdded', 'product', payload.productId, { version, at }, payload);
}

export function productPriceChanged(
  overrides: Partial<EventPayloads['ProductPriceChanged']> & At = {},
): Delivery<'ProductPriceChanged'> {
  const { version = 2, at = '2026-11-02T08:00:00.000Z', ...data } = overrides;
  const payload = {
    productId: KEYBOARD,
    previousPriceCents: 4_999,
    priceCents: 5_499,
    currency: 'EUR',
    ...data,
  };
  return delivery('ProductPriceChanged', 'product', payload.productId, { version, at }, payload);
}

export function productRestocked(
  overrides: Partial<EventPayloads['ProductRestocked']> & At = {},
): Delivery<'ProductRestocked'> {
  const { version = 2, at = '2026-11-02T08:00:00.000Z', ...data } = overrides;
  const payload = { productId: KEYBOARD, quantity: 5, stock: 15, ...data };
  return delivery('ProductRestocked', 'product', payload.productId, { version, at }, payload);
}

export function stockReserved(
  overrides: Partial<EventPayloads['StockReserved']> & At = {},
): Delivery<'StockReserved'> {
  const { version = 2, at = PLACED_AT, ...data } = overrides;
  const payload = { productId: KEYBOARD, orderId: ORDER, quantity: 2, stock: 8, ...data };
  return delivery('StockReserved', 'product', payload.productId, { version, at }, payload);
}

export function stockReleased(
  overrides: Partial<EventPayloads['StockReleased']> & At = {},
): Delivery<'StockReleased'> {
  const { version = 3, at = '2026-11-24T11:00:00.000Z', ...data } = overrides;
  const payload = { productId: KEYBOARD, orderId: ORDER, quantity: 2, stock: 10, ...data };
  return delivery('StockReleased', 'product', payload.productId, { version, at }, payload);
}

/** The default order's events up to the given status, each at its version. */
export function orderHistoryTo(
  status: 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED' | 'CANCELLED-AFTER-PAYMENT',
): Delivery<OrderEventType>[] {
  switch (status) {
    case 'PLACED':
      return [orderPlaced()];
    case 'PAID':
      return [orderPlaced(), orderPaid()];
    case 'SHIPPED':
      return [orderPlaced(), orderPaid(), orderShipped()];
    case 'CANCELLED':
      return [orderPlaced(), orderCancelled()];
    case 'CANCELLED-AFTER-PAYMENT':
      return [
        orderPlaced(),
        orderPaid(),
        orderCancelled({ version: 3, previousStatus: 'PAID', refundCents: 11_948 }),
      ];
  }
}

/**
 * Given: what a projector holds after receiving `deliveries` in turn, keeping each change and
 * skipping what was already applied, as the runtime does. A rejection fails the test.
 */
export function project<S extends object, D extends Delivery>(
  apply: (held: S | undefined, delivery: D) => ApplyResult<S>,
  deliveries: readonly D[],
  start?: S,
): S | undefined {
  let held = start;
  for (const each of deliveries) {
    const result = apply(held, each);
    if (isRejection(result)) throw new Error(`rejected: ${JSON.stringify(result)}`);
    if (result !== undefined) held = result;
  }
  return held;
}
