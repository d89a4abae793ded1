import { randomUUID } from 'node:crypto';
import {
  EVENT_AGGREGATE_TYPES,
  encodeEvent,
  type EventEnvelope,
  type EventPayloads,
  type EventType,
  eventSchemas,
  fingerprintHex,
  toKafkaHeaders,
} from '@cqrs-shop/events';
import type { Message } from 'kafkajs';

/** An event's envelope as the relay writes it, with fresh ids and the event type's current schema. */
export function testEnvelope<T extends EventType>(
  eventType: T,
  aggregateId: string,
  version: number,
  occurredAt = '2026-11-24T10:00:00.000Z',
): EventEnvelope & { eventType: T } {
  return {
    eventId: randomUUID(),
    eventType,
    aggregateType: EVENT_AGGREGATE_TYPES[eventType],
    aggregateId,
    aggregateVersion: version,
    occurredAt,
    commandId: randomUUID(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
    schemaFingerprint: fingerprintHex(eventSchemas.latest(eventType).fingerprint),
  };
}

/** An event as a Kafka message: key = aggregate id, Avro single-object value, envelope headers. */
export function testEventMessage<T extends EventType>(
  eventType: T,
  aggregateId: string,
  version: number,
  payload: EventPayloads[T],
): Message {
  return {
    key: aggregateId,
    value: encodeEvent(eventType, payload),
    headers: toKafkaHeaders(testEnvelope(eventType, aggregateId, version)),
  };
}
