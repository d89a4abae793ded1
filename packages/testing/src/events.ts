import { randomUUID } from 'node:crypto';
import {
  EVENT_AGGREGATE_TYPES,
  type EventEnvelope,
  type EventPayloads,
  type EventType,
  toKafkaHeaders,
} from '@cqrs-shop/events';
import { encodeEvent, eventSchemas, fingerprintHex } from '@cqrs-shop/event-codec';
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

/** Avro single-object encoding by hand, with any fingerprint: a writer this code may not know. */
function singleObject(fingerprint: bigint, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header[0] = 0xc3;
  header[1] = 0x01;
  header.writeBigUInt64LE(fingerprint, 2);
  return Buffer.concat([header, body]);
}

/**
 * An event written with an older version of its schema, as a producer not yet upgraded writes
 * it; `payload` has that version's shape.
 */
export function testEventMessageInSchema(
  eventType: EventType,
  aggregateId: string,
  version: number,
  schemaVersion: number,
  payload: Record<string, unknown>,
): Message {
  const schema = eventSchemas.all().find((s) => s.eventType === eventType && s.version === schemaVersion);
  if (!schema) throw new Error(`no ${eventType} v${schemaVersion} schema`);
  return {
    key: aggregateId,
    value: singleObject(schema.fingerprint, schema.type.toBuffer(payload)),
    headers: toKafkaHeaders({
      ...testEnvelope(eventType, aggregateId, version, new Date().toISOString()),
      schemaFingerprint: fingerprintHex(schema.fingerprint),
    }),
  };
}

/**
 * An event written with a schema nobody here knows (a newer producer's, say): its body is the
 * latest version's, its fingerprint is not.
 */
export function testEventMessageInUnknownSchema<T extends EventType>(
  eventType: T,
  aggregateId: string,
  version: number,
  payload: EventPayloads[T],
): Message {
  const fingerprint = 0x0123456789abcdefn;
  const latest = eventSchemas.latest(eventType);
  return {
    key: aggregateId,
    value: singleObject(fingerprint, latest.type.toBuffer(payload)),
    headers: toKafkaHeaders({
      ...testEnvelope(eventType, aggregateId, version, new Date().toISOString()),
      schemaFingerprint: fingerprintHex(fingerprint),
    }),
  };
}
