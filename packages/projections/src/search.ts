// Search (Elasticsearch): an orders index and a products index, with explicit strict mappings.
import type { EventPayloads } from '@cqrs-shop/events';

import {
  type EnvelopeOf,
  type OrderEventType,
  type ProductEventType,
  typedEvent,
  unreachable,
} from './events.js';
import type { CustomerRecord, OrderHistoryDocument, SalesChannel } from './order-history.js';
import { type OrderStatus, statusAfter } from './order-lifecycle.js';
import { type ApplyResult, admit, heldState } from './sequence.js';

/** An order as the orders index holds it: what people search orders by. */
export interface OrderSearchDocument {
  readonly orderId: string;
  readonly customerId: string;
  /** Null until the customer's registration has been projected; see {@link withOrderSearchCustomer}. */
  readonly customerName: string | null;
  readonly customerEmail: string | null;
  /** The lines' product names and SKUs, in line order, as they were at placement. */
  readonly productNames: readonly string[];
  readonly skus: readonly string[];
  readonly status: OrderStatus;
  /** Minor units of `currency`. */
  readonly totalCents: number;
  readonly currency: string;
  /** Where the order was placed, e.g. `MOBILE_APP`. */
  readonly channel: SalesChannel;
  /** ISO 8601 in UTC, e.g. `2026-11-24T10:15:00.000Z`. */
  readonly placedAt: string;
  /** The order aggregate's version this document reflects. */
  readonly version: number;
}

/** A catalogue product as the products index holds it. */
export interface ProductSearchDocument {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string | null;
  /** Minor units of `currency`. */
  readonly priceCents: number;
  readonly currency: string;
  /** Units on hand. */
  readonly stock: number;
  /** The product aggregate's version this document reflects. */
  readonly version: number;
}

/** An order's search document, derived from its history document (customer included). */
export function toOrderSearchDocument(doc: OrderHistoryDocument): OrderSearchDocument {
  return {
    orderId: doc.orderId,
    customerId: doc.customerId,
    customerName: doc.customer?.name ?? null,
    customerEmail: doc.customer?.email ?? null,
    productNames: doc.lines.map((line) => line.productName),
    skus: doc.lines.map((line) => line.sku),
    status: doc.status,
    totalCents: doc.totalCents,
    currency: doc.currency,
    channel: doc.channel,
    placedAt: doc.placedAt,
    version: doc.version,
  };
}

/**
 * Applies an order event directly to an order's search document, so that the search projector
 * needs no other store. Gives the same document as {@link toOrderSearchDocument} of the history
 * document after the same events.
 *
 * @returns the new document; `undefined` when already applied; a rejection when out of sequence
 *   or not allowed by the order's lifecycle (see `applyOrderEvent`)
 */
export function applyOrderSearchEvent<T extends OrderEventType>(
  doc: OrderSearchDocument | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<OrderSearchDocument> {
  const event = typedEvent<OrderEventType>(envelope, payload);
  const admission = admit(doc?.version, envelope, {
    creates: event.type === 'OrderPlaced',
    payloadAggregateId: event.payload.orderId,
  });
  if (admission === 'already-applied') return undefined;
  if (admission !== 'apply') return admission;
  switch (event.type) {
    case 'OrderPlaced': {
      const { orderId, customerId, lines, totalCents, currency, channel } = event.payload;
      return {
        orderId,
        customerId,
        customerName: null,
        customerEmail: null,
        productNames: lines.map((line) => line.productName),
        skus: lines.map((line) => line.sku),
        status: 'PLACED',
        totalCents,
        currency,
        channel,
        placedAt: envelope.occurredAt,
        version: envelope.aggregateVersion,
      };
    }
    case 'OrderPaid':
    case 'OrderShipped':
    case 'OrderCancelled': {
      const held = heldState(doc, envelope);
      const status = statusAfter(held, envelope, event);
      if (typeof status !== 'string') return status;
      return { ...held, status, version: envelope.aggregateVersion };
    }
    default:
      return unreachable(event, 'order event');
  }
}

/**
 * Fills the customer's name and email into an order's search document; returns `doc` itself when
 * they are already there. Like `withCustomer`, it leaves `version` alone: write it as a partial
 * update of the two customer fields.
 *
 * @throws {Error} when `customer` is not the order's customer (a caller's bug).
 */
export function withOrderSearchCustomer(
  doc: OrderSearchDocument,
  customer: CustomerRecord,
): OrderSearchDocument {
  if (customer.customerId !== doc.customerId) {
    throw new Error(`customer ${customer.customerId} is not the customer of order ${doc.orderId}`);
  }
  if (doc.customerName === customer.name && doc.customerEmail === customer.email) return doc;
  return { ...doc, customerName: customer.name, customerEmail: customer.email };
}

/**
 * Applies a product event to the product's search document.
 *
 * @param doc the document held for `envelope.aggregateId`, or undefined when there is none
 * @returns the new document; `undefined` when already applied; a rejection when out of sequence
 */
export function applyProductEvent<T extends ProductEventType>(
  doc: ProductSearchDocument | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<ProductSearchDocument> {
  const event = typedEvent<ProductEventType>(envelope, payload);
  const admission = admit(doc?.version, envelope, {
    creates: event.type === 'ProductAdded',
    payloadAggregateId: event.payload.productId,
  });
  if (admission === 'already-applied') return undefined;
  if (admission !== 'apply') return admission;
  const version = envelope.aggregateVersion;
  switch (event.type) {
    case 'ProductAdded': {
      const { productId, sku, name, description, priceCents, currency, stock } = event.payload;
      return { productId, sku, name, description, priceCents, currency, stock, version };
    }
    case 'ProductPriceChanged': {
      const { priceCents, currency } = event.payload;
      return { ...heldState(doc, envelope), priceCents, currency, version };
    }
    // Stock events carry the stock after them, so the document takes it rather than adding.
    case 'ProductRestocked':
    case 'StockReserved':
    case 'StockReleased':
      return { ...heldState(doc, envelope), stock: event.payload.stock, version };
    default:
      return unreachable(event, 'product event');
  }
}

/** Analysed with the built-in `standard` analyzer, plus an exact `.keyword` for sorting and filters. */
const TEXT_WITH_KEYWORD = {
  type: 'text',
  analyzer: 'standard',
  // No ignore_above: the write side caps names at 200 and emails at 320 characters, far below
  // Lucene's 32 KB term limit, so every value stays exactly matchable.
  fields: { keyword: { type: 'keyword' } },
} as const;

/** Mapped fields, one per document field: `dynamic: 'strict'` refuses a document with any other. */
type MappingOf<D> = {
  readonly dynamic: 'strict';
  readonly properties: {
    readonly [K in keyof D]-?: { readonly type: string; readonly [option: string]: unknown };
  };
};

/**
 * The orders index mapping (`PUT <prefix>-orders` with `{ mappings: ORDERS_MAPPING }`). Strict, so
 * a document that strays from {@link OrderSearchDocument} is refused instead of guessed at.
 */
export const ORDERS_MAPPING = {
  dynamic: 'strict',
  properties: {
    orderId: { type: 'keyword' },
    customerId: { type: 'keyword' },
    customerName: TEXT_WITH_KEYWORD,
    customerEmail: TEXT_WITH_KEYWORD,
    productNames: TEXT_WITH_KEYWORD,
    skus: { type: 'keyword' },
    status: { type: 'keyword' },
    totalCents: { type: 'long' },
    currency: { type: 'keyword' },
    channel: { type: 'keyword' },
    placedAt: { type: 'date' },
    version: { type: 'long' },
  },
} as const satisfies MappingOf<OrderSearchDocument>;

/**
 * The products index mapping (`PUT <prefix>-products` with `{ mappings: PRODUCTS_MAPPING }`).
 * Strict, like {@link ORDERS_MAPPING}.
 */
export const PRODUCTS_MAPPING = {
  dynamic: 'strict',
  properties: {
    productId: { type: 'keyword' },
    sku: { type: 'keyword' },
    name: TEXT_WITH_KEYWORD,
    // Searched, never sorted on or matched exactly.
    description: { type: 'text', analyzer: 'standard' },
    priceCents: { type: 'long' },
    currency: { type: 'keyword' },
    stock: { type: 'integer' },
    version: { type: 'long' },
  },
} as const satisfies MappingOf<ProductSearchDocument>;
