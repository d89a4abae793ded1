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

/**
 * How an order's view in Redis (its JSON, as served) differs from the write model's order, as a
 * document would, each field under `view.`; and whether its customer's page lists it.
 */
export function compareOrderView(
  order: WriteOrder,
  view: { readonly json: string | undefined; readonly listed: boolean },
): Difference[] {
  const aggregate = orderKey(order.orderId);
  const differences: Difference[] = [];
  if (view.json === undefined) differences.push(viewDifference(aggregate, 'view', 'an order view', null));
  else
    for (const d of fieldDifferences(
      'order-history',
      aggregate,
      expectedOrderHistory(order),
      parseView(view.json),
    ))
      differences.push({ ...d, field: `view.${d.field}` });
  if (!view.listed)
    differences.push(
      viewDifference(aggregate, 'view.customerOrders', "listed in its customer's orders", false),
    );
  return differences;
}

function viewDifference(
  aggregate: Difference['aggregate'],
  field: string,
  expected: unknown,
  actual: unknown,
): Difference {
  return { kind: 'field', readModel: 'order-history', aggregate, field, expected, actual };
}

function parseView(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
