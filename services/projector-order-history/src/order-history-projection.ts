import { isRetriable, type Projection, storeProjection } from '@cqrs-shop/projector';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { MongoOrderHistoryStore } from './adapters/mongo-order-history-store.js';

/**
 * Order history as the projector runtime drives it: order events build the documents, customer
 * events complete them; product events are not needed (order lines carry names and SKUs as they
 * were when the order was placed).
 */
export function orderHistoryProjection(store: MongoOrderHistoryStore): Projection {
  return storeProjection(
    store,
    'MongoDB or Redis',
    (error) =>
      error instanceof MongoNetworkError ||
      error instanceof MongoServerSelectionError ||
      // Redis, for the order views: away, or not taking writes for now.
      isRetriable(error),
  );
}
