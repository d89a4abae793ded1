import { randomUUID } from 'node:crypto';
import { type EventPayloads, type EventType } from '@cqrs-shop/events';
import { encodeEvent, eventSchemas, fingerprintHex } from '@cqrs-shop/event-codec';
import type { PoolConnection } from 'mysql2/promise';
import type { DomainEvent } from '../../domain/index.js';

/** What every event of one command shares in its envelope. */
export interface OutboxMetadata {
  readonly commandId: string;
  readonly correlationId: string;
  readonly traceparent: string | null;
  readonly receivedAt: Date;
}

// Generic so that the event's type and payload stay paired for the compiler.
function encode<T extends EventType>(event: { type: T; data: EventPayloads[T] }): Buffer {
  return encodeEvent(event.type, event.data);
}

/**
 * Writes a command's events to the outbox in the command's transaction, Avro-encoded with
 * their latest schema. The command is the cause of each of its events.
 */
export async function appendToOutbox(
  connection: PoolConnection,
  events: readonly DomainEvent[],
  metadata: OutboxMetadata,
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event) => [
    randomUUID(),
    event.type,
    event.aggregateType,
    event.aggregateId,
    event.version,
    fingerprintHex(eventSchemas.latest(event.type).fingerprint),
    encode(event),
    metadata.commandId,
    metadata.correlationId,
    metadata.commandId,
    metadata.traceparent,
    metadata.receivedAt,
  ]);
  await connection.query(
    `INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, aggregate_version, schema_fingerprint,
       payload, command_id, correlation_id, causation_id, traceparent, occurred_at)
     VALUES ?`,
    [rows],
  );
}
