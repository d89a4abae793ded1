// Generated from packages/event-codec/schemas/*.avsc by packages/event-codec/scripts/generate-types.ts.
// Do not edit: change the schemas, then run `node packages/event-codec/scripts/generate-types.ts`.

/** A customer was registered. Aggregate: customer. */
export interface CustomerRegisteredV1 {
  customerId: string;
  name: string;
  /** Unique among customers, stored lower-cased. */
  email: string;
}

/** A customer was registered. Aggregate: customer. v2 adds the name's parts beside the display name. */
export interface CustomerRegisteredV2 {
  customerId: string;
  /** The display name. Keeps its v1 name and stays required, because v1 readers require it; a rename with an alias would help only new readers, not them. */
  name: string;
  /** Unique among customers, stored lower-cased. */
  email: string;
  /** The given (first) name, if the customer gave it; null in events written with v1. */
  givenName: string | null;
  /** The family (last) name, if the customer gave it; null in events written with v1. */
  familyName: string | null;
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

/** An order was placed and its stock reserved. Aggregate: order. v2 adds the sales channel. */
export interface OrderPlacedV2 {
  orderId: string;
  customerId: string;
  lines: OrderLineV2[];
  /** Sum of the lines' totals. */
  totalCents: number;
  currency: string;
  /** Where the order was placed. Events written with v1 read as WEB: until v2 the shop sold only on the web. */
  channel: SalesChannelV2;
}

export interface OrderLineV2 {
  productId: string;
  sku: string;
  productName: string;
  quantity: number;
  /** The catalogue price when the order was placed. */
  unitPriceCents: number;
  lineTotalCents: number;
}

/** Where an order was placed. Never written as UNKNOWN: that is the enum's default, which a reader gets for a channel added in a later version instead of failing. */
export type SalesChannelV2 = 'WEB' | 'MOBILE_APP' | 'MARKETPLACE' | 'PHONE' | 'UNKNOWN';

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
  CustomerRegistered: CustomerRegisteredV2;
  OrderCancelled: OrderCancelledV1;
  OrderPaid: OrderPaidV1;
  OrderPlaced: OrderPlacedV2;
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
  CustomerRegistered: 2,
  OrderCancelled: 1,
  OrderPaid: 1,
  OrderPlaced: 2,
  OrderShipped: 1,
  ProductAdded: 1,
  ProductPriceChanged: 1,
  ProductRestocked: 1,
  StockReleased: 1,
  StockReserved: 1,
} as const satisfies Record<EventType, number>;
