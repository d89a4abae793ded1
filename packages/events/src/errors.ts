import { ShopError } from '@cqrs-shop/errors';

/**
 * Every way an event can break its contract. Closed so that a consumer can switch over it
 * exhaustively when it decides what goes to the dead-letter topic.
 */
export const EVENT_ERROR_CODES = [
  /** A schema file is malformed, misnamed or incompatible with the other versions of its event. */
  'event.invalid-schema',
  /** The event type is not one this code knows. */
  'event.unknown-event-type',
  /** A payload to encode does not match the event's schema. */
  'event.invalid-payload',
  /** The bytes do not start with the Avro single-object marker `C3 01` and a fingerprint. */
  'event.not-single-object-encoded',
  /** The writer schema's fingerprint matches no schema this code knows. */
  'event.unknown-schema-fingerprint',
  /** The Avro body is truncated, has trailing bytes, or holds values the schema cannot read. */
  'event.corrupt-body',
  /** A required envelope header is absent. */
  'event.missing-header',
  /** An envelope header is present but its value is not acceptable. */
  'event.invalid-header',
] as const;

/** One of {@link EVENT_ERROR_CODES}. */
export type EventErrorCode = (typeof EVENT_ERROR_CODES)[number];

/**
 * An event, its bytes or its headers do not honour the contract in `packages/events`.
 *
 * Never `canRetry`: the same bytes or payload fail the same way every time, so a consumer should
 * park the message (dead-letter topic) rather than retry it.
 */
export class EventContractError extends ShopError<EventErrorCode> {
  constructor(code: EventErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** One schema version a reader knows, as {@link UnknownSchemaFingerprintError} lists it. */
export interface KnownSchemaVersion {
  readonly eventType: string;
  readonly version: number;
}

/**
 * The writer schema of a message is unknown here: it was written by newer (or foreign) code.
 * The message says so in an operator's terms, with the versions this reader knows, e.g.
 * `Event written with an unknown schema (fingerprint 0123456789abcdef): it is none of the 12
 * schema versions this reader knows (CustomerRegistered v1, v2; OrderPlaced v1, v2; …). …`
 */
export class UnknownSchemaFingerprintError extends EventContractError {
  /** The writer schema's CRC-64-AVRO fingerprint, 16 lower-case hex digits. */
  readonly fingerprint: string;
  /** The schema versions the reader knows, by event type and version. */
  readonly known: readonly KnownSchemaVersion[];

  constructor(fingerprint: string, known: readonly KnownSchemaVersion[] = []) {
    super(
      'event.unknown-schema-fingerprint',
      `Event written with an unknown schema (fingerprint ${fingerprint}): it is none of the ` +
        `${known.length} schema versions this reader knows${known.length > 0 ? ` (${listVersions(known)})` : ''}. ` +
        'The writer has a newer schema (or a foreign one): upgrade this reader to a release that has it, then redrive the event.',
    );
    this.fingerprint = fingerprint;
    this.known = known;
  }
}

/** `CustomerRegistered v1, v2; OrderPlaced v1`: event types in order, each with its versions. */
function listVersions(known: readonly KnownSchemaVersion[]): string {
  const byType = new Map<string, number[]>();
  for (const { eventType, version } of known)
    byType.set(eventType, [...(byType.get(eventType) ?? []), version]);
  return [...byType.keys()]
    .sort()
    .map((eventType) => {
      const versions = (byType.get(eventType) ?? []).sort((a, b) => a - b);
      return `${eventType} ${versions.map((version) => `v${version}`).join(', ')}`;
    })
    .join('; ');
}

/** A payload given to `encodeEvent` does not match its event's schema. */
export class InvalidEventPayloadError extends EventContractError {
  /** The event type whose payload was rejected. */
  readonly eventType: string;
  /** Each problem as `path: what is wrong`, e.g. `lines.0.quantity: expected int, got string`. */
  readonly problems: readonly string[];

  constructor(eventType: string, version: number, problems: readonly string[]) {
    super('event.invalid-payload', `Invalid ${eventType} v${version} payload: ${problems.join('; ')}`);
    this.eventType = eventType;
    this.problems = problems;
  }
}

/** An envelope header is missing or invalid. */
export class InvalidEnvelopeError extends EventContractError {
  /** The Kafka header name, e.g. `event-id`. */
  readonly header: string;

  constructor(code: 'event.missing-header' | 'event.invalid-header', header: string, message: string) {
    super(code, message);
    this.header = header;
  }
}
