import type { ProjectionTargets } from '@cqrs-shop/projector';
import { OrderHistoryTargets, type OrderViewStore } from '@cqrs-shop/read-models';
import type { Db } from 'mongodb';
import { MongoOrderHistoryStore } from './adapters/mongo-order-history-store.js';
import { MongoParkedAggregates } from './adapters/mongo-parked-aggregates.js';
import { RedisOrderViews } from './adapters/redis-order-views.js';
import { orderHistoryProjection } from './order-history-projection.js';

/**
 * The order-history projection: its name, the aggregate types whose topics it reads, and of
 * those the ones its documents are joined with (taken in first when it takes in history).
 */
export const ORDER_HISTORY_PROJECTION = {
  name: 'order-history',
  reads: ['customer', 'order'],
  readsFirst: ['customer'],
} as const;

/**
 * The versions of the order-history read model in one MongoDB database, each with its order
 * views in Redis when `views` says where.
 */
export function orderHistoryTargets(db: Db, views?: OrderViewStore): ProjectionTargets {
  return {
    catalog: new OrderHistoryTargets(db, views),
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
