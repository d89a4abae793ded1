/**
 * Every way an event can break its contract. Closed so that a consumer can switch over it
 * exhaustively when it decides what goes to the dead-letter topic.
 */
export const EVENT_ERROR_CODES = [
  /** A schema file is malformed, misnamed or incompatible with the other versions of its event. */
  'INVALID_SCHEMA',
  /** The event type is not one this code knows. */
  'UNKNOWN_EVENT_TYPE',
  /** A payload to encode does not match the event's schema. */
  'INVALID_PAYLOAD',
  /** The bytes do not start with the Avro single-object marker `C3 01` and a fingerprint. */
  'NOT_SINGLE_OBJECT_ENCODED',
  /** The writer schema's fingerprint matches no schema this code knows. */
  'UNKNOWN_SCHEMA_FINGERPRINT',
  /** The Avro body is truncated, has trailing bytes, or holds values the schema cannot read. */
  'CORRUPT_BODY',
  /** A required envelope header is absent. */
  'MISSING_HEADER',
  /** An envelope header is present but its value is not acceptable. */
  'INVALID_HEADER',
] as const;

/** One of {@link EVENT_ERROR_CODES}. */
export type EventErrorCode = (typeof EVENT_ERROR_CODES)[number];

/**
 * An event, its bytes or its headers do not honour the contract in `packages/events`.
 *
 * Never retriable: the same bytes or payload fail the same way every time, so a consumer should
 * park the message (dead-letter topic) rather than retry it.
 */
export class EventContractError extends Error {
  /** What is wrong, from a closed list. */
  readonly code: EventErrorCode;
  /** Always `false`: retrying cannot help. */
  readonly retriable = false;

  constructor(code: EventErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The writer schema of a message is unknown here: it was written by newer (or foreign) code. */
export class UnknownSchemaFingerprintError extends EventContractError {
  /** The writer schema's CRC-64-AVRO fingerprint, 16 lower-case hex digits. */
  readonly fingerprint: string;

  constructor(fingerprint: string) {
    super('UNKNOWN_SCHEMA_FINGERPRINT', `No known event schema has the fingerprint ${fingerprint}`);
    this.fingerprint = fingerprint;
  }
}

/** A payload given to `encodeEvent` does not match its event's schema. */
export class InvalidEventPayloadError extends EventContractError {
  /** The event type whose payload was rejected. */
  readonly eventType: string;
  /** Each problem as `path: what is wrong`, e.g. `lines.0.quantity: expected int, got string`. */
  readonly problems: readonly string[];

  constructor(eventType: string, version: number, problems: readonly string[]) {
    super('INVALID_PAYLOAD', `Invalid ${eventType} v${version} payload: ${problems.join('; ')}`);
    this.eventType = eventType;
    this.problems = problems;
  }
}

/** An envelope header is missing or invalid. */
export class InvalidEnvelopeError extends EventContractError {
  /** The Kafka header name, e.g. `event-id`. */
  readonly header: string;

  constructor(code: 'MISSING_HEADER' | 'INVALID_HEADER', header: string, message: string) {
    super(code, message);
    this.header = header;
  }
}
