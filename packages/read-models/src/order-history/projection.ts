import { MongoNetworkError, MongoServerSelectionError, type Db } from 'mongodb';
import { canRetry } from '@cqrs-shop/errors';
import type { Projection, ProjectionVersions } from '../writing/contract.js';
import { storeProjection } from '../writing/store-projection.js';
import { OrderHistoryVersions, type OrderViewStore } from './catalog.js';
import { MongoParkedAggregates } from './parked.js';
import { MongoOrderHistoryStore } from './store.js';
import { RedisOrderViews } from './views-store.js';

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
      canRetry(error),
  );
}

/**
 * The versions of the order-history read model in one MongoDB database, each with its order
 * views in Redis when `views` says where.
 */
export function orderHistoryVersions(db: Db, views?: OrderViewStore): ProjectionVersions {
  return {
    catalog: new OrderHistoryVersions(db, views),
    open: (version) => ({
      projection: orderHistoryProjection(
        new MongoOrderHistoryStore(
          db,
          version,
          views && new RedisOrderViews(views.redis, views.keyPrefix, version),
        ),
      ),
      parked: new MongoParkedAggregates(db, version),
    }),
  };
}
