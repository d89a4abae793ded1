import { EVENT_AGGREGATE_TYPES } from '@cqrs-shop/events';
import type { CustomerEventType, OrderEventType } from '@cqrs-shop/projections';
import {
  type ApplyOutcome,
  type ProjectedEvent,
  type Projection,
  StoreUnavailableError,
} from '@cqrs-shop/projector';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { MongoOrderHistoryStore } from './adapters/mongo-order-history-store.js';

function isOrderEvent(event: ProjectedEvent): event is ProjectedEvent<OrderEventType> {
  return EVENT_AGGREGATE_TYPES[event.envelope.eventType] === 'order';
}

function isCustomerEvent(event: ProjectedEvent): event is ProjectedEvent<CustomerEventType> {
  return EVENT_AGGREGATE_TYPES[event.envelope.eventType] === 'customer';
}

/**
 * Order history as the projector runtime drives it: order events build the documents, customer
 * events complete them; product events are not needed (order lines carry names and SKUs as they
 * were when the order was placed).
 */
export function orderHistoryProjection(store: MongoOrderHistoryStore): Projection {
  return {
    async apply(event: ProjectedEvent): Promise<ApplyOutcome> {
      try {
        if (isOrderEvent(event)) return await store.applyOrderEvent(event.envelope, event.payload);
        if (isCustomerEvent(event)) return await store.applyCustomerEvent(event.envelope, event.payload);
        return 'ignored';
      } catch (error) {
        if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
          throw new StoreUnavailableError('MongoDB is not answering', { cause: error });
        }
        throw error;
      }
    },
  };
}
