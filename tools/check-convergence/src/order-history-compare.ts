// Order history (MongoDB): how each order's stored document differs from the write model.
import type { OrderHistoryDocument } from '@cqrs-shop/projections';
import { type Difference, fieldDifferences, missingDifference, orderKey } from './differences.js';
import { historyDocumentOf, pick, timesKnown } from './expected.js';
import type { WriteOrder } from './write-model.js';

const HISTORY_FIELDS: readonly (keyof OrderHistoryDocument)[] = [
  'customerId',
  'customer',
  'status',
  'lines',
  'totalCents',
  'currency',
  'channel',
  'refundCents',
  'version',
];

/** What the stored document should hold in the fields the write model determines. */
export function expectedOrderHistory(order: WriteOrder): Partial<OrderHistoryDocument> {
  const fields = timesKnown(order) ? [...HISTORY_FIELDS, 'placedAt' as const] : HISTORY_FIELDS;
  return pick(historyDocumentOf(order), fields);
}

/**
 * How an order's stored history document (`_id` = order id) differs from the write model's
 * order; `stored` undefined when there is none.
 */
export function compareOrderHistory(order: WriteOrder, stored: unknown): Difference[] {
  const aggregate = orderKey(order.orderId);
  if (stored === undefined) return [missingDifference('order-history', aggregate, order.version)];
  return fieldDifferences('order-history', aggregate, expectedOrderHistory(order), stored);
}
