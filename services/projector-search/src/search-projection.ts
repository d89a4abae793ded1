import { EVENT_AGGREGATE_TYPES } from '@cqrs-shop/events';
import type { CustomerEventType, OrderEventType, ProductEventType } from '@cqrs-shop/projections';
import {
  type ApplyOutcome,
  type ProjectedEvent,
  type Projection,
  StoreUnavailableError,
} from '@cqrs-shop/projector';
import { errors } from '@elastic/elasticsearch';
import type { ElasticsearchSearchStore } from './adapters/elasticsearch-search-store.js';

const isOrderEvent = (e: ProjectedEvent): e is ProjectedEvent<OrderEventType> =>
  EVENT_AGGREGATE_TYPES[e.envelope.eventType] === 'order';
const isProductEvent = (e: ProjectedEvent): e is ProjectedEvent<ProductEventType> =>
  EVENT_AGGREGATE_TYPES[e.envelope.eventType] === 'product';
const isCustomerEvent = (e: ProjectedEvent): e is ProjectedEvent<CustomerEventType> =>
  EVENT_AGGREGATE_TYPES[e.envelope.eventType] === 'customer';

/** The search read model as the projector runtime drives it: orders, products, and customers for the join. */
export function searchProjection(store: ElasticsearchSearchStore): Projection {
  return {
    async apply(event: ProjectedEvent): Promise<ApplyOutcome> {
      try {
        if (isOrderEvent(event)) return await store.applyOrderEvent(event.envelope, event.payload);
        if (isProductEvent(event)) return await store.applyProductEvent(event.envelope, event.payload);
        if (isCustomerEvent(event)) return await store.applyCustomerEvent(event.envelope, event.payload);
        return 'ignored';
      } catch (error) {
        if (
          error instanceof errors.ConnectionError ||
          error instanceof errors.TimeoutError ||
          error instanceof errors.NoLivingConnectionsError
        ) {
          throw new StoreUnavailableError('Elasticsearch is not answering', { cause: error });
        }
        throw error;
      }
    },
  };
}
