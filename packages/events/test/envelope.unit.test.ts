import {
  AGGREGATE_TYPES,
  EVENT_AGGREGATE_TYPES,
  EVENT_TYPES,
  InvalidEnvelopeError,
  fromKafkaHeaders,
  toKafkaHeaders,
  topicFor,
} from '@cqrs-shop/events';
import type { EventEnvelope, KafkaHeaders } from '@cqrs-shop/events';

const UNTRACED: EventEnvelope = {
  eventId: '3f2a9d4e-7b1c-4e8f-a6d5-0c9b8a7f6e5d',
  eventType: 'OrderPlaced',
  aggregateType: 'order',
  aggregateId: '0b7c6f0e-4a43-4d2b-9c55-4f1b7d0e8a11',
  aggregateVersion: 1,
  occurredAt: '2025-01-31T09:30:00.000Z',
  commandId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  correlationId: 'req-7f3a',
  causationId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  schemaFingerprint: '7275d51a3f395c8f',
};

const ENVELOPE: EventEnvelope = {
  ...UNTRACED,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

const HEADERS = {
  'event-id': '3f2a9d4e-7b1c-4e8f-a6d5-0c9b8a7f6e5d',
  'event-type': 'OrderPlaced',
  'aggregate-type': 'order',
  'aggregate-id': '0b7c6f0e-4a43-4d2b-9c55-4f1b7d0e8a11',
  'aggregate-version': '1',
  'occurred-at': '2025-01-31T09:30:00.000Z',
  'command-id': 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  'correlation-id': 'req-7f3a',
  'causation-id': 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'schema-fingerprint': '7275d51a3f395c8f',
};

function envelopeErrorOf(run: () => unknown): InvalidEnvelopeError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidEnvelopeError) return error;
    throw error;
  }
  throw new Error('expected an InvalidEnvelopeError');
}

describe('envelope headers', () => {
  it('write every field as a lower-case string header', () => {
    expect(toKafkaHeaders(ENVELOPE)).toEqual(HEADERS);
  });

  it('read back what they wrote, from strings or from the Buffers kafkajs delivers', () => {
    const buffers: KafkaHeaders = Object.fromEntries(
      Object.entries(toKafkaHeaders(ENVELOPE)).map(([name, value]) => [name, Buffer.from(value)]),
    );
    expect(fromKafkaHeaders(toKafkaHeaders(ENVELOPE))).toEqual(ENVELOPE);
    expect(fromKafkaHeaders(buffers)).toEqual(ENVELOPE);
  });

  it.each([
    '2024-02-29T23:59:59.999Z',
    '2000-02-29T00:00:00.000Z',
    '2025-12-31T23:59:59.000Z',
    '2025-04-30T12:00:00.000Z',
  ])('read the real instant %s', (occurredAt) => {
    expect(fromKafkaHeaders(toKafkaHeaders({ ...ENVELOPE, occurredAt })).occurredAt).toBe(occurredAt);
  });

  it('leave out traceparent when the event was not traced', () => {
    const headers = toKafkaHeaders(UNTRACED);
    expect(headers).not.toHaveProperty('traceparent');
    expect(fromKafkaHeaders(headers)).toStrictEqual(UNTRACED);
  });

  it('ignore headers that are not part of the envelope, and accept a header sent once as an array', () => {
    expect(
      fromKafkaHeaders({ ...HEADERS, 'x-retry': '3', 'event-id': [Buffer.from(HEADERS['event-id'])] }),
    ).toEqual(ENVELOPE);
  });

  it('name a missing header', () => {
    const headers = Object.fromEntries(Object.entries(HEADERS).filter(([name]) => name !== 'correlation-id'));
    const error = envelopeErrorOf(() => fromKafkaHeaders(headers));
    expect(error).toMatchObject({ code: 'event.missing-header', header: 'correlation-id', canRetry: false });
    expect(error.message).toBe('Header correlation-id is missing');
  });

  it('name the first missing header of a message without headers', () => {
    expect(envelopeErrorOf(() => fromKafkaHeaders(undefined)).header).toBe('event-id');
  });

  it.each([
    ['event-id', 'not-a-uuid', 'must be a UUID'],
    ['event-type', 'OrderExploded', 'must be a known event type'],
    ['aggregate-type', 'invoice', 'must be one of customer, product, order'],
    ['aggregate-type', 'product', 'OrderPlaced events belong to order aggregates'],
    ['aggregate-id', '', 'must be an identifier'],
    ['aggregate-version', '0', 'must be a positive integer'],
    ['aggregate-version', '-1', 'must be a positive integer'],
    ['aggregate-version', '1.5', 'must be a positive integer'],
    ['aggregate-version', '9007199254740993', 'must be a positive integer'],
    ['occurred-at', '2025-01-31T10:30:00.000+01:00', 'must be a UTC time'],
    ['occurred-at', '2025-01-31T09:30:00Z', 'must be a UTC time'],
    ['occurred-at', '2025-02-30T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-02-29T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '1900-02-29T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-04-31T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-13-01T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-00-10T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-01-00T09:30:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-01-31T24:00:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-01-31T23:60:00.000Z', 'must be a UTC time'],
    ['occurred-at', '2025-01-31T23:59:60.000Z', 'must be a UTC time'],
    ['command-id', 'two words', 'must be an identifier'],
    ['traceparent', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'must be a W3C traceparent'],
    ['traceparent', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'must be a W3C traceparent'],
    [
      'traceparent',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      'must be a W3C traceparent',
    ],
    ['schema-fingerprint', '7275D51A3F395C8F', 'must be 16 lower-case hex digits'],
    ['schema-fingerprint', '7275d51a3f395c8', 'must be 16 lower-case hex digits'],
  ])('reject %s %j', (header, value, message) => {
    const error = envelopeErrorOf(() => fromKafkaHeaders({ ...HEADERS, [header]: value }));
    expect(error).toMatchObject({ code: 'event.invalid-header', header });
    expect(error.message).toContain(message);
  });

  it('reject an identifier longer than 255 characters', () => {
    const error = envelopeErrorOf(() => fromKafkaHeaders({ ...HEADERS, 'correlation-id': 'x'.repeat(256) }));
    expect(error).toMatchObject({ code: 'event.invalid-header', header: 'correlation-id' });
  });

  it('accept a traceparent of a later version with extra fields, as W3C Trace Context asks', () => {
    const traceparent = '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future';
    expect(fromKafkaHeaders({ ...HEADERS, traceparent }).traceparent).toBe(traceparent);
  });

  it('reject a header sent more than once', () => {
    const error = envelopeErrorOf(() =>
      fromKafkaHeaders({ ...HEADERS, 'event-type': ['OrderPlaced', 'OrderPaid'] }),
    );
    expect(error).toMatchObject({ code: 'event.invalid-header', header: 'event-type' });
    expect(error.message).toBe('Header event-type appears 2 times; it must appear once');
  });

  it('are never written for an invalid envelope', () => {
    const error = envelopeErrorOf(() => toKafkaHeaders({ ...ENVELOPE, aggregateVersion: 0 }));
    expect(error).toMatchObject({ code: 'event.invalid-header', header: 'aggregate-version' });
  });
});

describe('topics', () => {
  it('carry each aggregate type in its own versioned topic', () => {
    expect(AGGREGATE_TYPES.map(topicFor)).toEqual([
      'shop.customers.v1',
      'shop.products.v1',
      'shop.orders.v1',
    ]);
  });

  it('are known for every event type', () => {
    expect(Object.keys(EVENT_AGGREGATE_TYPES).sort()).toEqual([...EVENT_TYPES]);
    expect(topicFor(EVENT_AGGREGATE_TYPES.StockReserved)).toBe('shop.products.v1');
    expect(topicFor(EVENT_AGGREGATE_TYPES.OrderCancelled)).toBe('shop.orders.v1');
  });
});
