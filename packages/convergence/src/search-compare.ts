// Search (Elasticsearch): how each order's and product's stored document differs from the write model.
import {
  type OrderSearchDocument,
  type ProductSearchDocument,
  toOrderSearchDocument,
} from '@cqrs-shop/projections';
import { type Difference, fieldDifferences, missingDifference, orderKey, productKey } from './differences.js';
import { historyDocumentOf, pick, timesKnown } from './expected.js';
import type { WriteOrder, WriteProduct } from './write-model.js';

const ORDER_FIELDS: readonly (keyof OrderSearchDocument)[] = [
  'orderId',
  'customerId',
  'customerName',
  'customerEmail',
  'productNames',
  'skus',
  'status',
  'totalCents',
  'currency',
  'channel',
  'version',
];

/**
 * The order's search document, derived from its history document the way the projection
 * derives it; `placedAt` only when the write model knows it exactly.
 */
export function expectedOrderSearch(order: WriteOrder): Partial<OrderSearchDocument> {
  const fields = timesKnown(order) ? [...ORDER_FIELDS, 'placedAt' as const] : ORDER_FIELDS;
  return pick(toOrderSearchDocument(historyDocumentOf(order)), fields);
}

/** `stored` is the document's `_source`, undefined when there is no document. */
export function compareOrderSearch(order: WriteOrder, stored: unknown): Difference[] {
  const aggregate = orderKey(order.orderId);
  if (stored === undefined) return [missingDifference('search', aggregate, order.version)];
  return fieldDifferences('search', aggregate, expectedOrderSearch(order), stored);
}

/** A product's search document: the write model's product, field for field. */
export function expectedProductSearch(product: WriteProduct): ProductSearchDocument {
  const { productId, sku, name, description, priceCents, currency, stock, version } = product;
  return { productId, sku, name, description, priceCents, currency, stock, version };
}

export function compareProductSearch(product: WriteProduct, stored: unknown): Difference[] {
  const aggregate = productKey(product.productId);
  if (stored === undefined) return [missingDifference('search', aggregate, product.version)];
  return fieldDifferences('search', aggregate, expectedProductSearch(product), stored);
}
