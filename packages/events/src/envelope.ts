import { AGGREGATE_TYPES, EVENT_AGGREGATE_TYPES, isAggregateType, isEventType } from './catalog.js';
import type { AggregateType } from './catalog.js';
import { InvalidEnvelopeError } from './errors.js';
import type { EventType } from './generated/event-types.js';

/** What travels with every event in Kafka headers, beside the Avro payload in the value. */
export interface EventEnvelope {
  /** This event's unique id, a UUID; consumers deduplicate on it. */
  readonly eventId: string;
  readonly eventType: EventType;
  /** Must be the aggregate type the event type belongs to (`EVENT_AGGREGATE_TYPES`). */
  readonly aggregateType: AggregateType;
  /** Also the Kafka message key, so that one aggregate's events stay in order. */
  readonly aggregateId: string;
  /** The aggregate's version after this event: 1 for its first event, then one more per event. */
  readonly aggregateVersion: number;
  /** When the change happened, in UTC as `Date#toISOString()` writes it: `2025-01-31T09:30:00.000Z`. */
  readonly occurredAt: string;
  /** The command that produced this event. */
  readonly commandId: string;
  /** Shared by everything done on behalf of one original request. */
  readonly correlationId: string;
  /** The id of the command or event that directly caused this event. */
  readonly causationId: string;
  /** W3C Trace Context `traceparent` of the span that produced the event, when traced. */
  readonly traceparent?: string;
  /** CRC-64-AVRO fingerprint of the payload's writer schema, 16 lower-case hex digits. */
  readonly schemaFingerprint: string;
}

/** The Kafka header that carries each envelope field. `traceparent` keeps its W3C name. */
export const ENVELOPE_HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  aggregateType: 'aggregate-type',
  aggregateId: 'aggregate-id',
  aggregateVersion: 'aggregate-version',
  occurredAt: 'occurred-at',
  commandId: 'command-id',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  schemaFingerprint: 'schema-fingerprint',
} as const satisfies Record<keyof EventEnvelope, string>;

/**
 * Kafka message headers as kafkajs delivers them (`IHeaders`): a header sent several times
 * arrives as an array.
 */
export type KafkaHeaders = Readonly<
  Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>
>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids other than the event id may come from elsewhere (e.g. a client's request id): any visible ASCII. */
const IDENTIFIER = /^[!-~]{1,255}$/;
const POSITIVE_INTEGER = /^[1-9][0-9]*$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const FINGERPRINT = /^[0-9a-f]{16}$/;

/**
 * The Kafka headers for an envelope, all values strings. Applies the same checks as
 * {@link fromKafkaHeaders}, so that nothing is published that a consumer would reject.
 *
 * @throws {InvalidEnvelopeError} naming the first missing or invalid field's header.
 */
export function toKafkaHeaders(envelope: EventEnvelope): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [field, header] of Object.entries(ENVELOPE_HEADERS) as [keyof EventEnvelope, string][]) {
    const value = envelope[field];
    if (value !== undefined) headers[header] = String(value);
  }
  fromKafkaHeaders(headers);
  return headers;
}

/**
 * Reads and checks the envelope of a Kafka message. Headers that are not part of the envelope
 * are ignored.
 *
 * @throws {InvalidEnvelopeError} naming the first missing (`event.missing-header`) or invalid
 *   (`event.invalid-header`) header; a header sent more than once is invalid, and so is an
 *   `aggregate-type` that is not the event type's.
 */
export function fromKafkaHeaders(headers: KafkaHeaders | undefined): EventEnvelope {
  const read = (field: keyof EventEnvelope) => headerValue(headers ?? {}, ENVELOPE_HEADERS[field]);
  const eventId = parse(read('eventId'), 'eventId', 'a UUID', matching(UUID));
  const eventType = parse(read('eventType'), 'eventType', 'a known event type', (raw) =>
    isEventType(raw) ? raw : undefined,
  );
  const aggregateType = parse(
    read('aggregateType'),
    'aggregateType',
    `one of ${AGGREGATE_TYPES.join(', ')}`,
    (raw) => (isAggregateType(raw) ? raw : undefined),
  );
  if (EVENT_AGGREGATE_TYPES[eventType] !== aggregateType) {
    throw new InvalidEnvelopeError(
      'event.invalid-header',
      ENVELOPE_HEADERS.aggregateType,
      `Header ${ENVELOPE_HEADERS.aggregateType} is ${aggregateType}, but ${eventType} events belong to ` +
        `${EVENT_AGGREGATE_TYPES[eventType]} aggregates`,
    );
  }
  const envelope: EventEnvelope = {
    eventId,
    eventType,
    aggregateType,
    aggregateId: parse(read('aggregateId'), 'aggregateId', 'an identifier', matching(IDENTIFIER)),
    aggregateVersion: parse(read('aggregateVersion'), 'aggregateVersion', 'a positive integer', (raw) =>
      POSITIVE_INTEGER.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined,
    ),
    occurredAt: parse(read('occurredAt'), 'occurredAt', 'a UTC time like 2025-01-31T09:30:00.000Z', (raw) =>
      isIsoInstant(raw) ? raw : undefined,
    ),
    commandId: parse(read('commandId'), 'commandId', 'an identifier', matching(IDENTIFIER)),
    correlationId: parse(read('correlationId'), 'correlationId', 'an identifier', matching(IDENTIFIER)),
    causationId: parse(read('causationId'), 'causationId', 'an identifier', matching(IDENTIFIER)),
    schemaFingerprint: parse(
      read('schemaFingerprint'),
      'schemaFingerprint',
      '16 lower-case hex digits',
      matching(FINGERPRINT),
    ),
  };
  const traceparent = read('traceparent');
  if (traceparent === undefined) return envelope;
  return {
    ...envelope,
    traceparent: parse(traceparent, 'traceparent', 'a W3C traceparent', (raw) =>
      isTraceparent(raw) ? raw : undefined,
    ),
  };
}

/** A header's value as a string; `undefined` when absent. */
function headerValue(headers: KafkaHeaders, header: string): string | undefined {
  const value = headers[header];
  if (value === undefined) return undefined;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value.toString();
  // Narrowed by hand: Array.isArray does not narrow a readonly array out of a union.
  const values = value as readonly (Buffer | string)[];
  const [only, ...others] = values;
  if (only === undefined) return undefined;
  if (others.length > 0) {
    throw new InvalidEnvelopeError(
      'event.invalid-header',
      header,
      `Header ${header} appears ${String(values.length)} times; it must appear once`,
    );
  }
  return only.toString();
}

function parse<T>(
  raw: string | undefined,
  field: keyof EventEnvelope,
  expected: string,
  convert: (raw: string) => T | undefined,
): T {
  const header = ENVELOPE_HEADERS[field];
  if (raw === undefined)
    throw new InvalidEnvelopeError('event.missing-header', header, `Header ${header} is missing`);
  const value = convert(raw);
  if (value === undefined) {
    const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
    throw new InvalidEnvelopeError(
      'event.invalid-header',
      header,
      `Header ${header} must be ${expected} (got ${JSON.stringify(shown)})`,
    );
  }
  return value;
}

function matching(pattern: RegExp): (raw: string) => string | undefined {
  return (raw) => (pattern.test(raw) ? raw : undefined);
}

function isIsoInstant(raw: string): boolean {
  if (!ISO_INSTANT.test(raw)) return false;
  // A real date and time of day (Date would take 2025-02-30 as 2 March), read from the digits in
  // place: every event's envelope goes through here, so no Date round trip.
  const at = (from: number, digits: number) => {
    let value = 0;
    for (let i = from; i < from + digits; i++) value = value * 10 + raw.charCodeAt(i) - 48;
    return value;
  };
  const year = at(0, 4);
  const month = at(5, 2);
  const day = at(8, 2);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    at(11, 2) <= 23 &&
    at(14, 2) <= 59 &&
    at(17, 2) <= 59
  );
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Whether `raw` is a `traceparent` the envelope accepts (W3C Trace Context): lower-case hex,
 * version ff invalid, all-zero trace or parent ids invalid, version 00 exactly four fields.
 */
export function isTraceparent(raw: string): boolean {
  const match = TRACEPARENT.exec(raw);
  if (!match) return false;
  const [, version, traceId, parentId, rest] = match;
  // Version 00 has exactly four fields; later versions may append more after a dash.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return false;
  return !/^0+$/.test(traceId ?? '') && !/^0+$/.test(parentId ?? '');
}
