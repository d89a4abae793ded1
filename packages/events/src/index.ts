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
export { decodeEvent, encodeEvent } from './codec.js';
export type { DecodedEvent } from './codec.js';
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
export {
  fingerprintHex,
  parsingCanonicalForm,
  rabinFingerprint64,
  schemaFingerprint,
} from './fingerprint.js';
export { EventSchemaRegistry, SCHEMAS_DIR, eventSchemas } from './schema-registry.js';
export type { EventSchema, EventSchemaSource } from './schema-registry.js';
export { checkSchemaCompatibility, resolutionProblems } from './schema-compatibility.js';
export type {
  CompatibilityDirection,
  CompatibilityProblem,
  EventCompatibility,
  ResolutionProblem,
  VersionedSchema,
} from './schema-compatibility.js';
export { ConsistencyTokens, MIN_CONSISTENCY_KEY_BYTES } from './consistency-token.js';
export type { ConsistencyPoint, ConsistencyTokenKeys } from './consistency-token.js';
