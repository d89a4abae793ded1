import {
  type AggregateType,
  EVENT_AGGREGATE_TYPES,
  type EventPayloads,
  type EventType,
} from '@cqrs-shop/events';

/** Customer, product or order: every event concerns exactly one aggregate. */
export type { AggregateType };

/** The aggregate an event type belongs to, as the event contract's catalog says. */
type AggregateTypeOf<T extends EventType> = (typeof EVENT_AGGREGATE_TYPES)[T];

/** The payload field holding the aggregate's id, e.g. `productId` for product events. */
type IdFieldOf<T extends EventType> = `${AggregateTypeOf<T>}Id`;

/**
 * An event of one type, decided on the write side before it gets its envelope (event id,
 * occurred-at, correlation) and is encoded with its Avro schema.
 */
export interface EventOf<T extends EventType> {
  readonly type: T;
  readonly aggregateType: AggregateTypeOf<T>;
  readonly aggregateId: string;
  /** The aggregate's version once this event is applied: 1 for the event that creates it. */
  readonly version: number;
  readonly data: EventPayloads[T];
}

/** Any event the write side decides: a union discriminated by `type` (and `aggregateType`). */
export type DomainEvent = { [T in EventType]: EventOf<T> }[EventType];

/** The events of one aggregate type, e.g. `AggregateEvent<'product'>`. */
export type AggregateEvent<A extends AggregateType> = Extract<DomainEvent, { aggregateType: A }>;

/**
 * Builds an event; its aggregate type follows from `type` and its aggregate id is read from the
 * payload (`customerId`, `productId` or `orderId`), so the two can never disagree.
 */
export function domainEvent<T extends EventType>(
  type: T,
  version: number,
  data: EventPayloads[T] & Record<IdFieldOf<T>, string>,
): EventOf<T> {
  const aggregateType = EVENT_AGGREGATE_TYPES[type];
  const idField: IdFieldOf<T> = `${aggregateType}Id`;
  return { type, aggregateType, aggregateId: data[idField], version, data };
}

/**
 * The version an aggregate has after `event`: one more than before. Checks that the event was
 * numbered for exactly that state, so a mis-numbered event cannot reach the outbox unnoticed.
 */
export function versionAfter(state: { readonly version: number } | undefined, event: DomainEvent): number {
  const next = (state?.version ?? 0) + 1;
  if (event.version !== next) {
    throw new Error(
      `${event.type} for ${event.aggregateType} ${event.aggregateId} has version ${event.version}, expected ${next}`,
    );
  }
  return next;
}
