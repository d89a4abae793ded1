/**
 * The event contract, free of side effects: the event types and their payloads (generated from
 * the Avro schemas in @cqrs-shop/event-codec), the catalog (which aggregate each event belongs
 * to, topic names), the Kafka envelope headers, the contract's errors, and consistency tokens.
 * Encoding and decoding, with the schemas read from their files, are @cqrs-shop/event-codec's.
 */
export * from './generated/event-types.js';
export {
  AGGREGATE_TYPES,
  deadLetterTopicFor,
  EVENT_AGGREGATE_TYPES,
  eventTopics,
  isAggregateType,
  isEventType,
  topicFor,
} from './catalog.js';
export type { AggregateType } from './catalog.js';
export { ENVELOPE_HEADERS, fromKafkaHeaders, isTraceparent, toKafkaHeaders } from './envelope.js';
export type { EventEnvelope, KafkaHeaders } from './envelope.js';
export {
  EVENT_ERROR_CODES,
  EventContractError,
  InvalidEnvelopeError,
  InvalidEventPayloadError,
  UnknownSchemaFingerprintError,
} from './errors.js';
export type { EventErrorCode, KnownSchemaVersion } from './errors.js';
export { ConsistencyTokens, MIN_CONSISTENCY_KEY_BYTES } from './consistency-token.js';
export type { ConsistencyPoint, ConsistencyTokenKeys } from './consistency-token.js';
