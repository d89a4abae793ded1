import { EVENT_TYPES } from './generated/event-types.js';
import type { EventType } from './generated/event-types.js';

/** The aggregates whose changes are published as events. */
export const AGGREGATE_TYPES = ['customer', 'product', 'order'] as const;

/** One of {@link AGGREGATE_TYPES}. */
export type AggregateType = (typeof AGGREGATE_TYPES)[number];

/**
 * The aggregate each event type belongs to. Typed as a complete record so that a new event type
 * (after regenerating the types) does not compile until it is assigned here.
 */
export const EVENT_AGGREGATE_TYPES = {
  CustomerRegistered: 'customer',
  ProductAdded: 'product',
  ProductPriceChanged: 'product',
  ProductRestocked: 'product',
  StockReserved: 'product',
  StockReleased: 'product',
  OrderPlaced: 'order',
  OrderPaid: 'order',
  OrderShipped: 'order',
  OrderCancelled: 'order',
} as const satisfies Record<EventType, AggregateType>;

const TOPICS = {
  customer: 'shop.customers.v1',
  product: 'shop.products.v1',
  order: 'shop.orders.v1',
} as const satisfies Record<AggregateType, string>;

/**
 * The Kafka topic that carries an aggregate's events, e.g. `shop.orders.v1`. One topic per
 * aggregate type, keyed by aggregate id, keeps each aggregate's events in order.
 */
export function topicFor(aggregateType: AggregateType): (typeof TOPICS)[AggregateType] {
  return TOPICS[aggregateType];
}

/**
 * Every event topic by aggregate type, each name after `prefix` (`KAFKA_TOPIC_PREFIX`, which lets
 * several suites or test runs share one cluster).
 */
export function eventTopics(prefix = ''): Readonly<Record<AggregateType, string>> {
  return {
    customer: `${prefix}${TOPICS.customer}`,
    product: `${prefix}${TOPICS.product}`,
    order: `${prefix}${TOPICS.order}`,
  };
}

/** The dead-letter topic of one projection, e.g. `shop.dead-letter.analytics.v1`. */
export function deadLetterTopicFor(projection: string, prefix = ''): string {
  return `${prefix}shop.dead-letter.${projection}.v1`;
}

const eventTypes: ReadonlySet<string> = new Set(EVENT_TYPES);
const aggregateTypes: ReadonlySet<string> = new Set(AGGREGATE_TYPES);

/** Whether a string names an event type this code knows. */
export function isEventType(value: string): value is EventType {
  return eventTypes.has(value);
}

/** Whether a string names an aggregate type. */
export function isAggregateType(value: string): value is AggregateType {
  return aggregateTypes.has(value);
}
