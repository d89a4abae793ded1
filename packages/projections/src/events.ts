// Type-only imports: pulling the events package in at run time would bring its Avro codec and
// schema file reads into this pure package.
import type { EVENT_AGGREGATE_TYPES, EventEnvelope, EventPayloads, EventType } from '@cqrs-shop/events';

/** The event types of one aggregate type, e.g. `EventTypeOf<'order'>`; follows the events catalogue. */
type EventTypeOf<A extends string> = {
  [T in EventType]: (typeof EVENT_AGGREGATE_TYPES)[T] extends A ? T : never;
}[EventType];

/** `CustomerRegistered`. A new customer event type joins this union and breaks every unhandled switch. */
export type CustomerEventType = EventTypeOf<'customer'>;

/** `ProductAdded`, `ProductPriceChanged`, `ProductRestocked`, `StockReserved`, `StockReleased`. */
export type ProductEventType = EventTypeOf<'product'>;

/** `OrderPlaced`, `OrderPaid`, `OrderShipped`, `OrderCancelled`. */
export type OrderEventType = EventTypeOf<'order'>;

/**
 * The envelope fields a projection reads, for an event of type `T`. A full `EventEnvelope` (as
 * `fromKafkaHeaders` returns it) fits.
 */
export type EnvelopeOf<T extends EventType> = Pick<
  EventEnvelope,
  'aggregateType' | 'aggregateId' | 'aggregateVersion' | 'occurredAt'
> & { readonly eventType: T };

/** An event's type and payload as one discriminated union, so that a `switch` on `type` narrows `payload`. */
export type TypedEvent<T extends EventType> = {
  [K in T]: { readonly type: K; readonly payload: EventPayloads[K] };
}[T];

/**
 * Pairs an envelope's type with its payload for an exhaustive `switch`. The public `apply…`
 * signatures tie `payload` to `envelope.eventType`; from here on the two travel as one value.
 */
export function typedEvent<T extends EventType>(
  envelope: EnvelopeOf<T>,
  payload: EventPayloads[T],
): TypedEvent<T> {
  return { type: envelope.eventType, payload };
}

/** The exhaustiveness check of a `switch`: a case nobody handles fails to compile here. */
export function unreachable(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
