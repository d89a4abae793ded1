import { types } from 'avsc';
import type { Type } from 'avsc';
import {
  EventContractError,
  InvalidEventPayloadError,
  UnknownSchemaFingerprintError,
} from '@cqrs-shop/events';
import { fingerprintHex } from './fingerprint.js';
import type { EventPayloads, EventType } from '@cqrs-shop/events';
import { eventSchemas } from './schema-registry.js';
import type { EventSchemaRegistry } from './schema-registry.js';

/** Avro single-object encoding: marker `C3 01`, then the 8-byte little-endian fingerprint. */
const MARKER_0 = 0xc3;
const MARKER_1 = 0x01;
const HEADER_LENGTH = 10;

/** A decoded event of one type, its payload in the latest version of that type's schema. */
export type DecodedEvent = {
  [T in EventType]: {
    readonly eventType: T;
    /** The version of the schema the message was written with (it may be older than the payload's shape). */
    readonly schemaVersion: number;
    /** The writer schema's CRC-64-AVRO fingerprint, 16 lower-case hex digits. */
    readonly fingerprint: string;
    readonly payload: EventPayloads[T];
  };
}[EventType];

/**
 * Encodes a payload as an Avro single-object message with the latest schema of its event type:
 * `C3 01`, the schema's CRC-64-AVRO fingerprint (8 bytes, little-endian), the Avro binary body.
 *
 * @throws {InvalidEventPayloadError} naming every invalid or undeclared field (`event.invalid-payload`).
 * @throws {EventContractError} `event.unknown-event-type` for an event type without a schema.
 */
export function encodeEvent<T extends EventType>(
  eventType: T,
  payload: EventPayloads[T],
  schemas: EventSchemaRegistry = eventSchemas,
): Buffer {
  const writer = schemas.latest(eventType);
  const problems = payloadProblems(writer.type, payload);
  if (problems.length > 0) throw new InvalidEventPayloadError(eventType, writer.version, problems);
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = MARKER_0;
  header[1] = MARKER_1;
  header.writeBigUInt64LE(writer.fingerprint, 2);
  return Buffer.concat([header, writer.type.toBuffer(payload)]);
}

/**
 * Decodes an Avro single-object message. The writer schema is found by its fingerprint and the
 * payload is resolved into the latest version of its event type, so messages written with an
 * older version arrive in the shape this code knows.
 *
 * @throws {EventContractError} `event.not-single-object-encoded` when the marker or fingerprint is
 *   missing, `event.corrupt-body` when the body is truncated, too long or unreadable.
 * @throws {UnknownSchemaFingerprintError} when no known schema has the fingerprint; its message lists
 *   the versions this reader knows.
 */
export function decodeEvent(message: Uint8Array, schemas: EventSchemaRegistry = eventSchemas): DecodedEvent {
  const buffer = Buffer.isBuffer(message)
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (buffer.length < HEADER_LENGTH || buffer[0] !== MARKER_0 || buffer[1] !== MARKER_1) {
    throw new EventContractError(
      'event.not-single-object-encoded',
      `Not an Avro single-object message: expected the bytes C3 01 and an 8-byte fingerprint, got ${preview(buffer)}`,
    );
  }
  const fingerprint = buffer.readBigUInt64LE(2);
  const writer = schemas.byFingerprint(fingerprint);
  if (!writer) {
    const known = schemas.all().map(({ eventType, version }) => ({ eventType, version }));
    throw new UnknownSchemaFingerprintError(fingerprintHex(fingerprint), known);
  }
  const reader = schemas.latest(writer.eventType);
  let payload: unknown;
  try {
    payload = reader.type.fromBuffer(buffer.subarray(HEADER_LENGTH), schemas.resolverFor(writer));
  } catch (error) {
    throw new EventContractError(
      'event.corrupt-body',
      `Cannot read the ${writer.eventType} v${writer.version} body: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  // The reader type is the latest schema of writer.eventType, which the generated types describe.
  return {
    eventType: writer.eventType,
    schemaVersion: writer.version,
    fingerprint: writer.fingerprintHex,
    payload,
  } as DecodedEvent;
}

/** What is wrong with a payload, one entry per field; empty when it is valid. */
function payloadProblems(type: Type, payload: unknown): string[] {
  const problems: string[] = [];
  type.isValid(payload, {
    errorHook: (path: string[], value: unknown, invalid: Type) => {
      const where = fieldPath(path);
      problems.push(
        value === undefined
          ? `${where}: missing (expected ${expected(invalid)})`
          : `${where}: expected ${expected(invalid)}, got ${describe(value)}`,
      );
    },
  });
  // Only once the shape is right: undeclared fields would be dropped silently, and are usually
  // a mistake (a renamed field, a domain object passed whole).
  if (problems.length === 0) undeclaredFields(type, payload, [], problems);
  return problems;
}

/** Adds a problem for each field of a valid value that its schema does not declare, at any depth. */
function undeclaredFields(type: Type, value: unknown, path: readonly string[], problems: string[]): void {
  if (type instanceof types.RecordType && isObject(value)) {
    const declared = new Set(type.fields.map((field) => field.name));
    for (const key of Object.keys(value)) {
      if (!declared.has(key)) problems.push(`${fieldPath([...path, key])}: not in the schema`);
    }
    for (const field of type.fields) {
      undeclaredFields(field.type, value[field.name], [...path, field.name], problems);
    }
  } else if (type instanceof types.ArrayType && Array.isArray(value)) {
    value.forEach((item: unknown, index) => {
      undeclaredFields(type.itemsType, item, [...path, String(index)], problems);
    });
  } else if (type instanceof types.MapType && isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      undeclaredFields(type.valuesType as Type, item, [...path, key], problems);
    }
  } else if (type instanceof types.UnwrappedUnionType) {
    const branch = type.types.find((candidate) => candidate.isValid(value));
    if (branch) undeclaredFields(branch, value, path, problems);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldPath(path: readonly string[]): string {
  return path.length === 0 ? '(payload)' : path.join('.');
}

function expected(type: Type): string {
  if (type instanceof types.EnumType) return `one of ${type.symbols.join(', ')}`;
  if (type instanceof types.RecordType) return `a ${type.name ?? 'record'} record`;
  if (type instanceof types.ArrayType) return 'an array';
  if (type instanceof types.MapType) return 'a map';
  if (type instanceof types.UnwrappedUnionType) return type.types.map(expected).join(' or ');
  const schema = type.schema();
  return typeof schema === 'string' ? schema : JSON.stringify(schema);
}

/** A value's kind, without echoing strings: they may be personal data (names, e-mails). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return `a ${typeof value}`;
}

function preview(buffer: Buffer): string {
  if (buffer.length === 0) return 'an empty message';
  const hex = buffer
    .subarray(0, HEADER_LENGTH)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
  return `${String(buffer.length)} bytes starting ${hex}`;
}
