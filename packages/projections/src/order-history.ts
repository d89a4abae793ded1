// Order history (MongoDB): one denormalised document per order, joined with its customer.
//
// Product names and SKUs need no join: OrderPlaced carries them in its lines, as they were when
// the order was placed — which is what history should show even if the catalogue changes later.
import type { EventPayloads } from '@cqrs-shop/events';

import {
  type CustomerEventType,
  type EnvelopeOf,
  type OrderEventType,
  type TypedEvent,
  typedEvent,
  unreachable,
} from './events.js';
import { type OrderChangeType, type OrderStatus, statusAfter } from './order-lifecycle.js';
import { type ApplyResult, type InvalidEvent, admit, heldState } from './sequence.js';

/**
 * Where an order was placed: WEB, MOBILE_APP, MARKETPLACE, PHONE, or UNKNOWN for a channel newer
 * than this code's schema.
 */
export type SalesChannel = EventPayloads['OrderPlaced']['channel'];

/** One line of an order, with the product's SKU, name and price as they were at placement. */
export interface OrderHistoryLine {
  readonly productId: string;
  readonly sku: string;
  readonly productName: string;
  readonly quantity: number;
  /** Minor units of the order's currency. */
  readonly unitPriceCents: number;
  readonly lineTotalCents: number;
}

/** A status an order entered, and when (the event's `occurredAt`). */
export interface OrderStatusChange {
  readonly status: OrderStatus;
  readonly at: string;
}

/** The customer's details shown with an order. */
export interface OrderCustomer {
  readonly name: string;
  readonly email: string;
}

/**
 * An order as its history shows it. Times are the events' `occurredAt`: ISO 8601 in UTC with
 * milliseconds (`2026-11-24T10:15:00.000Z`), so they also sort correctly as text.
 */
export interface OrderHistoryDocument {
  readonly orderId: string;
  readonly customerId: string;
  /** Null until the customer's registration has been projected; see {@link withCustomer}. */
  readonly customer: OrderCustomer | null;
  readonly lines: readonly OrderHistoryLine[];
  /** Sum of the lines' totals, in minor units of `currency`. */
  readonly totalCents: number;
  /** ISO 4217 code, e.g. `EUR`. */
  readonly currency: string;
  /** Where the order was placed; WEB for orders placed before OrderPlaced v2 (its schema default). */
  readonly channel: SalesChannel;
  readonly status: OrderStatus;
  /** Every status the order entered, oldest first, starting with PLACED. */
  readonly statusHistory: readonly OrderStatusChange[];
  readonly placedAt: string;
  /** When the latest event applied happened. */
  readonly updatedAt: string;
  /** Set when a paid order was cancelled; otherwise null. */
  readonly refundCents: number | null;
  /** The order aggregate's version this document reflects; the customer join does not change it. */
  readonly version: number;
}

/** A customer as order history needs it, kept from the customers topic to join into orders. */
export interface CustomerRecord {
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
  /** The customer aggregate's version this record reflects. */
  readonly version: number;
}

/**
 * Applies an order event to the order's history document.
 *
 * @param doc the document held for `envelope.aggregateId`, or undefined when there is none
 * @returns the new document; `undefined` when `doc` already reflects this version or a later one;
 *   a `missing-predecessor` rejection for a version gap or a change to an order without a
 *   document; an `invalid-event` rejection for an event the order's lifecycle does not allow.
 *   A new document starts with `customer: null`; the runtime joins the customer with
 *   {@link withCustomer}.
 */
export function applyOrderEvent<T extends OrderEventType>(
  doc: OrderHistoryDocument | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<OrderHistoryDocument> {
  const event = typedEvent<OrderEventType>(envelope, payload);
  const admission = admit(doc?.version, envelope, {
    creates: event.type === 'OrderPlaced',
    payloadAggregateId: event.payload.orderId,
  });
  if (admission === 'already-applied') return undefined;
  if (admission !== 'apply') return admission;
  switch (event.type) {
    case 'OrderPlaced':
      return placed(envelope, event.payload);
    case 'OrderPaid':
    case 'OrderShipped':
    case 'OrderCancelled':
      return changed(heldState(doc, envelope), envelope, event);
    default:
      return unreachable(event, 'order event');
  }
}

function placed(
  envelope: EnvelopeOf<OrderEventType>,
  payload: EventPayloads['OrderPlaced'],
): OrderHistoryDocument {
  const at = envelope.occurredAt;
  return {
    orderId: payload.orderId,
    customerId: payload.customerId,
    customer: null,
    // Copied field by field: the document's shape is ours, not whatever else a payload may carry.
    lines: payload.lines.map(({ productId, sku, productName, quantity, unitPriceCents, lineTotalCents }) => ({
      productId,
      sku,
      productName,
      quantity,
      unitPriceCents,
      lineTotalCents,
    })),
    totalCents: payload.totalCents,
    currency: payload.currency,
    channel: payload.channel,
    status: 'PLACED',
    statusHistory: [{ status: 'PLACED', at }],
    placedAt: at,
    updatedAt: at,
    refundCents: null,
    version: envelope.aggregateVersion,
  };
}

function changed(
  doc: OrderHistoryDocument,
  envelope: EnvelopeOf<OrderEventType>,
  event: TypedEvent<OrderChangeType>,
): OrderHistoryDocument | InvalidEvent {
  const status = statusAfter(doc, envelope, event);
  if (typeof status !== 'string') return status;
  return {
    ...doc,
    status,
    statusHistory: [...doc.statusHistory, { status, at: envelope.occurredAt }],
    // OrderPaid's amount is always the order's total, so it adds nothing to the document.
    refundCents: event.type === 'OrderCancelled' ? event.payload.refundCents : doc.refundCents,
    updatedAt: envelope.occurredAt,
    version: envelope.aggregateVersion,
  };
}

/**
 * Applies a customer event to the customer record kept for the order-history join.
 *
 * @param record the record held for `envelope.aggregateId`, or undefined when there is none
 * @returns the new record; `undefined` when already applied; a rejection when out of sequence
 */
export function applyCustomerEvent<T extends CustomerEventType>(
  record: CustomerRecord | undefined,
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): ApplyResult<CustomerRecord> {
  const event = typedEvent<CustomerEventType>(envelope, payload);
  // Registration is the only customer event, so every customer event creates the record.
  const admission = admit(record?.version, envelope, {
    creates: true,
    payloadAggregateId: event.payload.customerId,
  });
  if (admission === 'already-applied') return undefined;
  if (admission !== 'apply') return admission;
  // A switch over one event type, so that the next customer event fails to compile until handled.
  switch (event.type) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see above
    case 'CustomerRegistered': {
      const { customerId, name, email } = event.payload;
      return { customerId, name, email, version: envelope.aggregateVersion };
    }
    default:
      // `event.type`, not `event`: TypeScript narrows a union, and one event type is no union.
      return unreachable(event.type, 'customer event');
  }
}

/**
 * Fills the customer's name and email into an order's document; returns `doc` itself when they
 * are already there, so applying it again changes nothing. Orders and customers travel on
 * different topics, so either may arrive first: the runtime joins after writing an order (if the
 * customer is known) and after writing a customer (into that customer's orders). The join leaves
 * `version` alone, so it should be written as an update of `customer` only, never racing the
 * order's version-guarded writes.
 *
 * @throws {Error} when `customer` is not the order's customer (a caller's bug).
 */
export function withCustomer(doc: OrderHistoryDocument, customer: CustomerRecord): OrderHistoryDocument {
  if (customer.customerId !== doc.customerId) {
    throw new Error(`customer ${customer.customerId} is not the customer of order ${doc.orderId}`);
  }
  if (doc.customer?.name === customer.name && doc.customer.email === customer.email) return doc;
  return { ...doc, customer: { name: customer.name, email: customer.email } };
}
