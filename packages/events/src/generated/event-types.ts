// Generated from packages/events/schemas/*.avsc by packages/events/scripts/generate-types.ts.
// Do not edit: change the schemas, then run `node packages/events/scripts/generate-types.ts`.

/** A customer was registered. Aggregate: customer. */
export interface CustomerRegisteredV1 {
  customerId: string;
  name: string;
  /** Unique among customers, stored lower-cased. */
  email: string;
}

/** An order was cancelled and its stock released; a paid order is refunded. Aggregate: order. */
export interface OrderCancelledV1 {
  orderId: string;
  previousStatus: CancellableStatusV1;
  /** Set when a paid order is cancelled. */
  refundCents: number | null;
  currency: string;
}

export type CancellableStatusV1 = 'PLACED' | 'PAID';

/** An order was paid in full. Aggregate: order. */
export interface OrderPaidV1 {
  orderId: string;
  amountCents: number;
  currency: string;
}

/** An order was placed and its stock reserved. Aggregate: order. */
export interface OrderPlacedV1 {
  orderId: string;
  customerId: string;
  lines: OrderLineV1[];
  /** Sum of the lines' totals. */
  totalCents: number;
  currency: string;
}

export interface OrderLineV1 {
  productId: string;
  sku: string;
  productName: string;
  quantity: number;
  /** The catalogue price when the order was placed. */
  unitPriceCents: number;
  lineTotalCents: number;
}

/** An order was shipped; it can no longer change. Aggregate: order. */
export interface OrderShippedV1 {
  orderId: string;
}

/** A product was added to the catalogue. Aggregate: product. */
export interface ProductAddedV1 {
  productId: string;
  sku: string;
  name: string;
  description: string | null;
  /** Price in integer minor units of the currency. */
  priceCents: number;
  /** ISO 4217 code, e.g. EUR. */
  currency: string;
  /** Units on hand. */
  stock: number;
}

/** A product's price changed; orders already placed keep the price they were placed at. Aggregate: product. */
export interface ProductPriceChangedV1 {
  productId: string;
  previousPriceCents: number;
  priceCents: number;
  currency: string;
}

/** Units were added to a product's stock. Aggregate: product. */
export interface ProductRestockedV1 {
  productId: string;
  quantity: number;
  /** Units on hand after the restock. */
  stock: number;
}

/** Units reserved for a cancelled order went back to stock. Aggregate: product. */
export interface StockReleasedV1 {
  productId: string;
  orderId: string;
  quantity: number;
  /** Units on hand after the release. */
  stock: number;
}

/** Units of a product were reserved for an order. Aggregate: product. */
export interface StockReservedV1 {
  productId: string;
  orderId: string;
  quantity: number;
  /** Units on hand after the reservation. */
  stock: number;
}

/** The payload of every event type, in its latest schema version. */
export interface EventPayloads {
  CustomerRegistered: CustomerRegisteredV1;
  OrderCancelled: OrderCancelledV1;
  OrderPaid: OrderPaidV1;
  OrderPlaced: OrderPlacedV1;
  OrderShipped: OrderShippedV1;
  ProductAdded: ProductAddedV1;
  ProductPriceChanged: ProductPriceChangedV1;
  ProductRestocked: ProductRestockedV1;
  StockReleased: StockReleasedV1;
  StockReserved: StockReservedV1;
}

/** The name of an event type. */
export type EventType = keyof EventPayloads;

/** Every event type, in alphabetical order. */
export const EVENT_TYPES = [
  'CustomerRegistered',
  'OrderCancelled',
  'OrderPaid',
  'OrderPlaced',
  'OrderShipped',
  'ProductAdded',
  'ProductPriceChanged',
  'ProductRestocked',
  'StockReleased',
  'StockReserved',
] as const;

/** The latest schema version of every event type: the shape `EventPayloads` describes. */
export const LATEST_SCHEMA_VERSIONS = {
  CustomerRegistered: 1,
  OrderCancelled: 1,
  OrderPaid: 1,
  OrderPlaced: 1,
  OrderShipped: 1,
  ProductAdded: 1,
  ProductPriceChanged: 1,
  ProductRestocked: 1,
  StockReleased: 1,
  StockReserved: 1,
} as const satisfies Record<EventType, number>;
