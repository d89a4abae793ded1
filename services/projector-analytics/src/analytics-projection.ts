import { EVENT_AGGREGATE_TYPES } from '@cqrs-shop/events';
import type { OrderEventType } from '@cqrs-shop/projections';
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

/** The analytics read model as the projector runtime drives it: order events move the counters. */
export function analyticsProjection(store: RedisAnalyticsStore): Projection {
  return {
    async apply(event: ProjectedEvent): Promise<ApplyOutcome> {
      if (!isOrderEvent(event)) return 'ignored';
      try {
        return await store.applyOrderEvent(event.envelope, event.payload);
      } catch (error) {
        if (isUnavailable(error)) throw new StoreUnavailableError('Redis is not answering', { cause: error });
        throw error;
      }
    },
  };
}
