// The read models' documents as the write model implies them, as far as it can tell.
import type { OrderHistoryDocument } from '@cqrs-shop/projections';
import { exactPlacedAt } from './placement.js';
import type { WriteOrder } from './write-model.js';

/**
 * The order's history document as far as the write model can tell: `placedAt` is exact only
 * when the outbox still holds the OrderPlaced event (see {@link timesKnown}); `statusHistory`
 * and `updatedAt` are not known at all. Search documents derive from it as the projection's do.
 */
export function historyDocumentOf(order: WriteOrder): OrderHistoryDocument {
  const placedAt = exactPlacedAt(order.placement) ?? order.placement.recordedAt;
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    customer: order.customer,
    lines: order.lines,
    totalCents: order.totalCents,
    currency: order.currency,
    channel: order.channel,
    status: order.status,
    statusHistory: [],
    placedAt,
    updatedAt: placedAt,
    refundCents: order.refundCents,
    version: order.version,
  };
}

/** True when the order's placement time is known exactly, so that `placedAt` can be compared. */
export function timesKnown(order: WriteOrder): boolean {
  return exactPlacedAt(order.placement) !== null;
}

/** The listed fields of `source`, in the listed order. */
export function pick<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  return Object.fromEntries(fields.map((field) => [field, source[field]])) as Pick<T, K>;
}
