import { EVENT_AGGREGATE_TYPES } from '@cqrs-shop/events';
import type { OrderEventType, ProductEventType } from '@cqrs-shop/projections';
import {
  type ApplyOutcome,
  type ProjectedEvent,
  type Projection,
  StoreUnavailableError,
} from '@cqrs-shop/projector';
import type { RedisAnalyticsStore } from './adapters/redis-analytics-store.js';

/** ioredis gives up on a command after its retries while the server is away. */
function isUnavailable(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'MaxRetriesPerRequestError' ||
      /ECONNREFUSED|Connection is closed|ETIMEDOUT/.test(error.message))
  );
}

function isOrderEvent(event: ProjectedEvent): event is ProjectedEvent<OrderEventType> {
  return EVENT_AGGREGATE_TYPES[event.envelope.eventType] === 'order';
}

function isProductEvent(event: ProjectedEvent): event is ProjectedEvent<ProductEventType> {
  return EVENT_AGGREGATE_TYPES[event.envelope.eventType] === 'product';
}

/**
 * The analytics read model as the projector runtime drives it: order events move the counters,
 * product events name the products of the top-products list.
 */
export function analyticsProjection(store: RedisAnalyticsStore): Projection {
  return {
    async apply(event: ProjectedEvent): Promise<ApplyOutcome> {
      try {
        if (isOrderEvent(event)) return await store.applyOrderEvent(event.envelope, event.payload);
        if (isProductEvent(event)) return await store.applyProductEvent(event.envelope, event.payload);
        return 'ignored';
      } catch (error) {
        if (isUnavailable(error)) throw new StoreUnavailableError('Redis is not answering', { cause: error });
        throw error;
      }
    },
  };
}
