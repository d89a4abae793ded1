// A shop's history, drawn from a seed: customers registering, products added and repriced, orders
// placed with 1–3 lines of existing products at their price at the time and then, by a fate drawn
// per order, left placed (10 %), paid (30 %), paid and shipped (40 %), cancelled (10 %) or paid and
// cancelled with a refund (10 %). It gives the events the command service would have committed, in
// the order it would have committed them (aggregate versions consecutive, times spread over the
// window), and the state they leave, so a benchmark can seed the topics, the write model, or both.
import { createHash } from 'node:crypto';
import {
  type AggregateType,
  EVENT_AGGREGATE_TYPES,
  type EventPayloads,
  type EventType,
  toKafkaHeaders,
} from '@cqrs-shop/events';
import { encodeEvent } from '@cqrs-shop/event-codec';
import { testEnvelope } from '@cqrs-shop/testing';
import type { Message } from 'kafkajs';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Deterministic draws in [0, 1) from a seed: SHA-256 of the seed and a counter, 8 draws a hash. */
export class Dice {
  private counter = 0;
  private pool: number[] = [];

  constructor(private readonly seed: string) {}

  next(): number {
    if (this.pool.length === 0) {
      const digest = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      for (let i = 0; i < 32; i += 4) this.pool.push(digest.readUInt32LE(i) / 2 ** 32);
    }
    return this.pool.pop() ?? 0;
  }

  /** A whole number from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let left = this.next() * choices.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [choice, weight] of choices) if ((left -= weight) < 0) return choice;
    return (choices[choices.length - 1] as readonly [T, number])[0];
  }

  /** A version 4 UUID made of draws. */
  uuid(): string {
    const bytes = Buffer.from(Array.from({ length: 16 }, () => this.int(0, 255)));
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

const GIVEN_NAMES =
  'Amara Bjorn Carmen Deniz Emil Fatima Goran Hana Ivo Jana Kofi Lena Mateo Nora Oskar Priya'.split(' ');
const FAMILY_NAMES = [
  'Achterberg Benedetti Cardoso Dvorak Eklund Ferreira Grabowski Haddad Ito Jensen Kaur Laurent',
  'Moretti Nyberg Oliveira Papadopoulos Richter Santos Takahashi Weber Xu Yamamoto Zielinski',
]
  .join(' ')
  .split(' ');
const STYLES = 'Nordic Urban Coastal Alpine Studio Garden Loft Harbor Meadow Canyon'.split(' ');
const MATERIALS = 'Ash Birch Brass Cork Felt Granite Hemp Jute Pewter Rattan'.split(' ');
const ITEMS = 'Armchair Bookcase Candle Carafe Coaster Cushion Lantern Planter Rug Sideboard Teapot'.split(
  ' ',
);
const CHANNELS = [
  ['WEB', 50],
  ['MOBILE_APP', 30],
  ['MARKETPLACE', 12],
  ['PHONE', 8],
] as const;
type Fate = 'placed' | 'paid' | 'shipped' | 'cancelled' | 'refunded';
/** What becomes of an order, with its share in %. */
const FATES = [
  ['placed', 10],
  ['paid', 30],
  ['shipped', 40],
  ['cancelled', 10],
  ['refunded', 10],
] as const satisfies readonly (readonly [Fate, number])[];
/** Products repriced once during the window, in %. */
const REPRICED_PERCENT = 30;
export const STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
export type Status = (typeof STATUSES)[number];

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** When it registered (ms since the epoch); set as the history is written. */
  registeredAt: number;
  readonly givenName: string;
  readonly familyName: string;
  /** Whether the name's parts were given (v2), or only the display name. */
  readonly splitName: boolean;
}

export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  priceCents: number;
  stock: number;
  version: number;
  addedAt: number;
  updatedAt: number;
}

export interface Order {
  readonly id: string;
  readonly customer: number;
  readonly items: readonly { readonly product: number; readonly quantity: number }[];
  readonly channel: (typeof CHANNELS)[number][0];
  readonly fate: Fate;
  lines: EventPayloads['OrderPlaced']['lines'];
  totalCents: number;
  status: Status;
  version: number;
  placedAt: number;
  updatedAt: number;
  refundCents: number | null;
  /** Each status the order entered, with when. */
  statusHistory: { status: Status; at: number }[];
}

/** Something that happens in the shop at a time; applied in time order. */
type Action =
  | { readonly at: number; readonly kind: 'register'; readonly customer: number }
  | { readonly at: number; readonly kind: 'add' | 'reprice'; readonly product: number }
  | { readonly at: number; readonly kind: 'place' | 'pay' | 'ship' | 'cancel'; readonly order: number };

/** What the read models should answer once they hold the whole history. */
export interface Expected {
  readonly orders: number;
  readonly products: number;
  readonly byStatus: Record<Status, number>;
  /** Totals of the orders now PAID or SHIPPED, and refunds of paid orders cancelled (EUR). */
  readonly grossRevenueCents: number;
  readonly refundedCents: number;
  readonly sampledOrders: readonly { id: string; status: Status; version: number }[];
}

export interface SeededEvent {
  readonly aggregate: AggregateType;
  readonly type: EventType;
  readonly message: Message;
}

/** How much history: customers, products and orders between `start` and `end` (ms since the epoch). */
export interface HistoryShape {
  readonly customers: number;
  readonly products: number;
  readonly orders: number;
  readonly start: number;
  readonly end: number;
}

/**
 * A shop's history as events, written as the command service would have decided them, and the
 * state it leaves (customers, products, orders as they are once every event is written).
 */
export class ShopHistory {
  readonly customers: Customer[] = [];
  readonly products: Product[] = [];
  readonly orders: Order[] = [];
  private readonly actions: (Action & { seq: number })[] = [];
  /** The events of the action being written. */
  private pending: SeededEvent[] = [];
  private readonly start: number;
  private readonly end: number;

  constructor(
    private readonly dice: Dice,
    private readonly shape: HistoryShape,
  ) {
    if (!(shape.end - shape.start >= 7 * DAY))
      throw new Error(
        'a shop history must span at least 7 days: orders are placed until 4 days before its end',
      );
    this.start = shape.start;
    this.end = shape.end;
  }

  /** Plans every customer, product and order, with when each thing happens to it. */
  plan(): this {
    const span = this.end - this.start;
    // Customers register over the first 60 % of the window, products are all added at the start.
    const { customers, products, orders } = this.shape;
    const registeredAt = (i: number) => this.start + Math.floor((0.6 * span * i) / customers);
    for (let i = 0; i < customers; i++) {
      const givenName = this.dice.pick(GIVEN_NAMES);
      const familyName = this.dice.pick(FAMILY_NAMES);
      this.customers.push({
        id: this.dice.uuid(),
        name: `${givenName} ${familyName}`,
        email: `${givenName}.${familyName}.${i}@example.com`.toLowerCase(),
        registeredAt: 0,
        givenName,
        familyName,
        splitName: this.dice.next() < 0.75,
      });
      this.schedule({ at: registeredAt(i), kind: 'register', customer: i });
    }
    for (let i = 0; i < products; i++) {
      const name = `${this.dice.pick(STYLES)} ${this.dice.pick(MATERIALS)} ${this.dice.pick(ITEMS)}`;
      this.products.push({
        id: this.dice.uuid(),
        sku: `RB-${String(i).padStart(5, '0')}`,
        name,
        description: `${name}, made to last.`,
        priceCents: 100 * this.dice.int(3, 250) - 1,
        stock: this.dice.int(200, 2_000),
        version: 0,
        addedAt: 0,
        updatedAt: 0,
      });
      this.schedule({ at: this.start + Math.floor((0.02 * span * i) / products), kind: 'add', product: i });
      if (this.dice.next() * 100 < REPRICED_PERCENT)
        this.schedule({
          at: this.start + Math.floor(span * (0.05 + 0.9 * this.dice.next())),
          kind: 'reprice',
          product: i,
        });
    }
    // Orders are placed early enough for their fate to be complete before the window ends.
    const firstOrderAt = this.start + 0.03 * span;
    const lastOrderAt = this.end - 4 * DAY;
    for (let i = 0; i < orders; i++) {
      const placedAt = Math.floor(firstOrderAt + this.dice.next() * (lastOrderAt - firstOrderAt));
      const registered = Math.min(
        customers,
        Math.floor(((placedAt - this.start) / (0.6 * span)) * customers) + 1,
      );
      this.orders.push({
        id: this.dice.uuid(),
        customer: Math.floor(this.dice.next() * registered),
        items: this.orderItems(),
        channel: this.dice.weighted(CHANNELS),
        fate: this.dice.weighted(FATES),
        lines: [],
        totalCents: 0,
        status: 'PLACED',
        version: 0,
        placedAt,
        updatedAt: placedAt,
        refundCents: null,
        statusHistory: [],
      });
      this.scheduleLifecycle(i, placedAt);
    }
    return this;
  }

  /**
   * Applies every action in time order and gives its events, each action's after the previous
   * one's: a large history is written as it is produced, never held as events all at once. Once
   * it has run to its end, `customers`, `products` and `orders` hold their final state.
   */
  *events(): Generator<SeededEvent> {
    this.actions.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const action of this.actions) {
      switch (action.kind) {
        case 'register':
          this.register(action.customer, action.at);
          break;
        case 'add':
          this.add(action.product, action.at);
          break;
        case 'reprice':
          this.reprice(action.product, action.at);
          break;
        case 'place':
          this.place(action.order, action.at);
          break;
        case 'pay':
          this.pay(action.order, action.at);
          break;
        case 'ship':
          this.ship(action.order, action.at);
          break;
        case 'cancel':
          this.cancel(action.order, action.at);
          break;
      }
      yield* this.pending;
      this.pending = [];
    }
  }

  /** What the read models should answer once they hold the whole history; `sampled` orders to compare. */
  expected(sampled: number): Expected {
    const byStatus: Record<Status, number> = { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 0 };
    let grossRevenueCents = 0;
    let refundedCents = 0;
    for (const order of this.orders) {
      byStatus[order.status]++;
      if (order.status === 'PAID' || order.status === 'SHIPPED') grossRevenueCents += order.totalCents;
      if (order.fate === 'refunded') refundedCents += order.totalCents;
    }
    const every = Math.max(1, Math.floor(this.orders.length / sampled));
    const sampledOrders = this.orders
      .filter((_, i) => i % every === 0)
      .slice(0, sampled)
      .map(({ id, status, version }) => ({ id, status, version }));
    return {
      orders: this.orders.length,
      products: this.products.length,
      byStatus,
      grossRevenueCents,
      refundedCents,
      sampledOrders,
    };
  }

  private schedule(action: Action): void {
    this.actions.push({ ...action, seq: this.actions.length });
  }

  /** 1–3 lines of distinct products, popular ones more often; mostly one unit each. */
  private orderItems(): Order['items'] {
    const count = this.dice.weighted([
      [1, 50],
      [2, 30],
      [3, 20],
    ] as const);
    const products = new Set<number>();
    while (products.size < Math.min(count, this.shape.products))
      products.add(Math.floor(this.shape.products * this.dice.next() ** 2));
    return [...products].map((product) => ({
      product,
      quantity: this.dice.weighted([
        [1, 70],
        [2, 20],
        [3, 10],
      ] as const),
    }));
  }

  private scheduleLifecycle(order: number, placedAt: number): void {
    const { fate } = this.orders[order] as Order;
    const after = (at: number, min: number, max: number) =>
      at + Math.floor(min + this.dice.next() * (max - min));
    this.schedule({ at: placedAt, kind: 'place', order });
    if (fate === 'placed') return;
    if (fate === 'cancelled') {
      this.schedule({ at: after(placedAt, 10 * 60_000, DAY), kind: 'cancel', order });
      return;
    }
    const paidAt = after(placedAt, 5 * 60_000, 6 * HOUR);
    this.schedule({ at: paidAt, kind: 'pay', order });
    if (fate === 'shipped') this.schedule({ at: after(paidAt, 6 * HOUR, 3 * DAY), kind: 'ship', order });
    if (fate === 'refunded') this.schedule({ at: after(paidAt, HOUR, 2 * DAY), kind: 'cancel', order });
  }

  private emit<T extends EventType>(
    type: T,
    aggregateId: string,
    version: number,
    payload: EventPayloads[T],
    at: number,
  ): void {
    const envelope = testEnvelope(type, aggregateId, version, new Date(at).toISOString());
    this.pending.push({
      aggregate: EVENT_AGGREGATE_TYPES[type],
      type,
      message: { key: aggregateId, value: encodeEvent(type, payload), headers: toKafkaHeaders(envelope) },
    });
  }

  private register(index: number, at: number): void {
    const customer = this.customers[index] as Customer;
    const { id, name, email, givenName, familyName, splitName } = customer;
    customer.registeredAt = at;
    this.emit(
      'CustomerRegistered',
      id,
      1,
      {
        customerId: id,
        name,
        email,
        givenName: splitName ? givenName : null,
        familyName: splitName ? familyName : null,
      },
      at,
    );
  }

  private add(index: number, at: number): void {
    const product = this.products[index] as Product;
    const { id, sku, name, description, priceCents, stock } = product;
    product.version = 1;
    product.addedAt = at;
    product.updatedAt = at;
    this.emit(
      'ProductAdded',
      id,
      1,
      { productId: id, sku, name, description, priceCents, currency: 'EUR', stock },
      at,
    );
  }

  private reprice(index: number, at: number): void {
    const product = this.products[index] as Product;
    const previousPriceCents = product.priceCents;
    // Up or down by 5–30 %, ending in 99 like every price here; never the same price (no event).
    const factor = 1 + (this.dice.next() < 0.5 ? -1 : 1) * (0.05 + 0.25 * this.dice.next());
    product.priceCents = Math.max(99, 100 * Math.round((previousPriceCents * factor) / 100) - 1);
    if (product.priceCents === previousPriceCents) product.priceCents += 100;
    product.updatedAt = at;
    this.emit(
      'ProductPriceChanged',
      product.id,
      ++product.version,
      { productId: product.id, previousPriceCents, priceCents: product.priceCents, currency: 'EUR' },
      at,
    );
  }

  private place(index: number, at: number): void {
    const order = this.orders[index] as Order;
    const customer = this.customers[order.customer] as Customer;
    const picked = order.items.map(({ product, quantity }) => ({
      product: this.products[product] as Product,
      quantity,
    }));
    order.lines = picked.map(({ product, quantity }) => ({
      productId: product.id,
      sku: product.sku,
      productName: product.name,
      quantity,
      unitPriceCents: product.priceCents,
      lineTotalCents: quantity * product.priceCents,
    }));
    order.totalCents = order.lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
    order.version = 1;
    this.moveTo(order, 'PLACED', at);
    this.emit(
      'OrderPlaced',
      order.id,
      1,
      {
        orderId: order.id,
        customerId: customer.id,
        lines: order.lines,
        totalCents: order.totalCents,
        currency: 'EUR',
        channel: order.channel,
      },
      at,
    );
    for (const { product, quantity } of picked) {
      // The warehouse restocks before the shop would have to refuse the order.
      if (product.stock < quantity) {
        const restocked = this.dice.int(500, 2_000);
        product.stock += restocked;
        product.updatedAt = at;
        this.emit(
          'ProductRestocked',
          product.id,
          ++product.version,
          { productId: product.id, quantity: restocked, stock: product.stock },
          at,
        );
      }
      product.stock -= quantity;
      product.updatedAt = at;
      this.emit(
        'StockReserved',
        product.id,
        ++product.version,
        { productId: product.id, orderId: order.id, quantity, stock: product.stock },
        at,
      );
    }
  }

  private moveTo(order: Order, status: Status, at: number): void {
    order.status = status;
    order.updatedAt = at;
    order.statusHistory.push({ status, at });
  }

  private pay(index: number, at: number): void {
    const order = this.orders[index] as Order;
    this.moveTo(order, 'PAID', at);
    this.emit(
      'OrderPaid',
      order.id,
      ++order.version,
      { orderId: order.id, amountCents: order.totalCents, currency: 'EUR' },
      at,
    );
  }

  private ship(index: number, at: number): void {
    const order = this.orders[index] as Order;
    this.moveTo(order, 'SHIPPED', at);
    this.emit('OrderShipped', order.id, ++order.version, { orderId: order.id }, at);
  }

  private cancel(index: number, at: number): void {
    const order = this.orders[index] as Order;
    if (order.status !== 'PLACED' && order.status !== 'PAID')
      throw new Error(`cannot cancel a ${order.status} order`);
    const previousStatus = order.status;
    this.moveTo(order, 'CANCELLED', at);
    if (previousStatus === 'PAID') order.refundCents = order.totalCents;
    this.emit(
      'OrderCancelled',
      order.id,
      ++order.version,
      {
        orderId: order.id,
        previousStatus,
        refundCents: previousStatus === 'PAID' ? order.totalCents : null,
        currency: 'EUR',
      },
      at,
    );
    for (const { product: i, quantity } of order.items) {
      const product = this.products[i] as Product;
      product.stock += quantity;
      product.updatedAt = at;
      this.emit(
        'StockReleased',
        product.id,
        ++product.version,
        { productId: product.id, orderId: order.id, quantity, stock: product.stock },
        at,
      );
    }
  }
}
