import type { EventPayloads } from '@cqrs-shop/events';

import type { CustomerState } from './customer.js';
import { DomainError } from './errors.js';
import { type AggregateEvent, type EventOf, domainEvent, versionAfter } from './events.js';
import { type ProductState, releaseStock, reserveStock } from './product.js';
import { MAX_CENTS, MAX_INT, requireInteger } from './validation.js';

/** Where an order is in its life: PLACED → PAID → SHIPPED, or CANCELLED from PLACED or PAID. */
export const ORDER_STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One product of an order, priced as the catalogue priced it when the order was placed. */
export type OrderLine = EventPayloads['OrderPlaced']['lines'][number];

/**
 * Where an order was placed, as OrderPlaced carries it. `UNKNOWN` is only what readers make of a
 * channel newer than their schema; the write side never decides it.
 */
export type SalesChannel = EventPayloads['OrderPlaced']['channel'];

/** The channels an order can be placed through. */
export const SALES_CHANNELS = [
  'WEB',
  'MOBILE_APP',
  'MARKETPLACE',
  'PHONE',
] as const satisfies readonly SalesChannel[];

/** Orders placed without naming a channel came from the web shop, as all orders did before channels. */
export const DEFAULT_SALES_CHANNEL = 'WEB' satisfies SalesChannel;

/** An order as the write model knows it. */
export interface OrderState {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
  /** Sum of the lines' totals, in minor units of `currency`. */
  readonly totalCents: number;
  readonly currency: string;
  readonly channel: SalesChannel;
  readonly status: OrderStatus;
  /** The amount refunded when a paid order was cancelled; otherwise null. */
  readonly refundCents: number | null;
  readonly version: number;
}

/** One product and how many units of it to order. */
export interface OrderItem {
  readonly productId: string;
  readonly quantity: number;
}

/** Place an order, under an id the application generated, for one or more products. */
export interface PlaceOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly OrderItem[];
  /** One of {@link SALES_CHANNELS}; {@link DEFAULT_SALES_CHANNEL} when left out. */
  readonly channel?: string | undefined;
}

/** Pay, ship or cancel an existing order. */
export interface OrderCommand {
  readonly orderId: string;
}

/** The lifecycle in one place: what each action requires and where it leads. */
const TRANSITIONS = {
  pay: { from: ['PLACED'], to: 'PAID' },
  ship: { from: ['PAID'], to: 'SHIPPED' },
  cancel: { from: ['PLACED', 'PAID'], to: 'CANCELLED' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>;

type Action = keyof typeof TRANSITIONS;

/**
 * Places an order: prices each line from the catalogue, computes the total and reserves every
 * line's quantity from its product, all or nothing.
 * @param customer the loaded customer, or undefined when there is none with `command.customerId`
 * @param products the loaded products by id; an item whose product is missing is unknown
 * @returns `OrderPlaced` (order version 1), then one `StockReserved` per line, in item order
 * @throws {DomainError} `invalid-value` (no items, a bad quantity, a total too large, an unknown
 * channel), `duplicate-product`, `not-found` (customer or product), `mixed-currencies`,
 * `insufficient-stock`
 */
export function decidePlaceOrder(
  command: PlaceOrder,
  customer: CustomerState | undefined,
  products: ReadonlyMap<string, ProductState>,
): [EventOf<'OrderPlaced'>, ...EventOf<'StockReserved'>[]] {
  const channel = salesChannel(command.channel);
  if (command.items.length === 0) throw DomainError.invalidValue('items', 'must list at least one product');
  const seen = new Set<string>();
  command.items.forEach((item, index) => {
    requireInteger(`items[${index}].quantity`, item.quantity, 1, MAX_INT);
    // Two lines for one product would reserve its stock twice against the same snapshot.
    if (seen.has(item.productId)) {
      throw new DomainError('duplicate-product', `product ${item.productId} is listed more than once`, {
        productId: item.productId,
      });
    }
    seen.add(item.productId);
  });
  if (!customer) throw DomainError.notFound('customer', command.customerId);

  const picked = command.items.map((item) => {
    const product = products.get(item.productId);
    if (!product) throw DomainError.notFound('product', item.productId);
    return { product, quantity: item.quantity };
  });
  const currency = singleCurrency(picked.map(({ product }) => product));
  const reservations = picked.map(({ product, quantity }) =>
    reserveStock(product, command.orderId, quantity),
  );

  const lines = picked.map(({ product, quantity }, index) => ({
    productId: product.productId,
    sku: product.sku,
    productName: product.name,
    quantity,
    unitPriceCents: product.priceCents,
    lineTotalCents: exactCents(`items[${index}].quantity`, quantity * product.priceCents),
  }));
  const totalCents = exactCents(
    'items',
    lines.reduce((sum, line) => sum + line.lineTotalCents, 0),
  );

  const placed = domainEvent('OrderPlaced', 1, {
    orderId: command.orderId,
    customerId: customer.customerId,
    lines,
    totalCents,
    currency,
    channel,
  });
  return [placed, ...reservations];
}

/**
 * Records that a placed order was paid in full.
 * @throws {DomainError} `not-found` without an order, `invalid-transition` unless it is PLACED.
 */
export function decidePayOrder(command: OrderCommand, state: OrderState | undefined): [EventOf<'OrderPaid'>] {
  const order = existing(state, command.orderId);
  requireTransition(order, 'pay');
  return [
    domainEvent('OrderPaid', order.version + 1, {
      orderId: order.orderId,
      amountCents: order.totalCents,
      currency: order.currency,
    }),
  ];
}

/**
 * Records that a paid order was shipped; after that it can no longer change.
 * @throws {DomainError} `not-found` without an order, `invalid-transition` unless it is PAID.
 */
export function decideShipOrder(
  command: OrderCommand,
  state: OrderState | undefined,
): [EventOf<'OrderShipped'>] {
  const order = existing(state, command.orderId);
  requireTransition(order, 'ship');
  return [domainEvent('OrderShipped', order.version + 1, { orderId: order.orderId })];
}

/**
 * Cancels a placed or paid order: every line's quantity goes back to its product, and a paid
 * order records a refund of its total.
 * @param products the order's products by id, as loaded now (their stock and version move on)
 * @returns `OrderCancelled`, then one `StockReleased` per line, in line order
 * @throws {DomainError} `not-found` without an order, `invalid-transition` unless it is PLACED or PAID.
 */
export function decideCancelOrder(
  command: OrderCommand,
  state: OrderState | undefined,
  products: ReadonlyMap<string, ProductState>,
): [EventOf<'OrderCancelled'>, ...EventOf<'StockReleased'>[]] {
  const order = existing(state, command.orderId);
  const previousStatus = requireTransition(order, 'cancel');
  const releases = order.lines.map((line) => {
    const product = products.get(line.productId);
    // Order lines reference existing products, so this is the caller's bug, not a 404.
    if (!product) throw new Error(`product ${line.productId} of order ${order.orderId} was not loaded`);
    return releaseStock(product, order.orderId, line.quantity);
  });
  const cancelled = domainEvent('OrderCancelled', order.version + 1, {
    orderId: order.orderId,
    previousStatus,
    refundCents: previousStatus === 'PAID' ? order.totalCents : null,
    currency: order.currency,
  });
  return [cancelled, ...releases];
}

/** Applies one order event: the state after it, one version later. */
export function evolveOrder(state: OrderState | undefined, event: AggregateEvent<'order'>): OrderState {
  if (event.type === 'OrderPlaced') {
    if (state) throw new Error(`order ${event.aggregateId} was already placed`);
    const { orderId, customerId, lines, totalCents, currency, channel } = event.data;
    return {
      orderId,
      customerId,
      lines,
      totalCents,
      currency,
      channel,
      status: 'PLACED',
      refundCents: null,
      version: versionAfter(state, event),
    };
  }
  if (!state) throw new Error(`${event.type} for order ${event.aggregateId}, which was never placed`);
  const version = versionAfter(state, event);
  switch (event.type) {
    case 'OrderPaid':
      return { ...state, status: 'PAID', version };
    case 'OrderShipped':
      return { ...state, status: 'SHIPPED', version };
    case 'OrderCancelled':
      return { ...state, status: 'CANCELLED', refundCents: event.data.refundCents, version };
  }
}

function salesChannel(channel: string | undefined): SalesChannel {
  if (channel === undefined) return DEFAULT_SALES_CHANNEL;
  const known = SALES_CHANNELS.find((candidate) => candidate === channel);
  if (known === undefined) {
    throw DomainError.invalidValue('channel', `must be one of ${SALES_CHANNELS.join(', ')}`);
  }
  return known;
}

function existing(state: OrderState | undefined, orderId: string): OrderState {
  if (!state) throw DomainError.notFound('order', orderId);
  return state;
}

/** The order's current status if `action` may leave it, else an `invalid-transition` error. */
function requireTransition<A extends Action>(
  order: OrderState,
  action: A,
): (typeof TRANSITIONS)[A]['from'][number] {
  const { from, to } = TRANSITIONS[action];
  const allowed: readonly OrderStatus[] = from;
  if (!allowed.includes(order.status)) {
    throw new DomainError('invalid-transition', `cannot ${action} an order that is ${order.status}`, {
      orderId: order.orderId,
      from: order.status,
      to,
    });
  }
  return order.status as (typeof TRANSITIONS)[A]['from'][number];
}

/** The one currency all products share, else a `mixed-currencies` error. */
function singleCurrency(products: readonly ProductState[]): string {
  const currencies = [...new Set(products.map((product) => product.currency))].sort();
  const [currency] = currencies;
  if (currency === undefined || currencies.length > 1) {
    throw new DomainError(
      'mixed-currencies',
      `an order is paid in one currency, but its products are priced in ${currencies.join(', ')}`,
      { currencies },
    );
  }
  return currency;
}

/** Line and order totals stay within {@link MAX_CENTS}, where all arithmetic on them is exact. */
function exactCents(field: string, cents: number): number {
  if (!Number.isSafeInteger(cents) || cents > MAX_CENTS) {
    throw DomainError.invalidValue(field, 'makes the order total too large');
  }
  return cents;
}
