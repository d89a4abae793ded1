import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Type } from 'avsc';
import type { Schema } from 'avsc';
import {
  EVENT_TYPES,
  EventContractError,
  LATEST_SCHEMA_VERSIONS,
  InvalidEventPayloadError,
  UnknownSchemaFingerprintError,
} from '@cqrs-shop/events';
import {
  EventSchemaRegistry,
  SCHEMAS_DIR,
  decodeEvent,
  encodeEvent,
  eventSchemas,
  schemaFingerprint,
} from '@cqrs-shop/event-codec';
import type { EventPayloads, EventType, OrderPlacedV2 } from '@cqrs-shop/events';
import type { EventSchemaSource } from '@cqrs-shop/event-codec';

const ORDER_ID = '0b7c6f0e-4a43-4d2b-9c55-4f1b7d0e8a11';
const CUSTOMER_ID = '5d1f2c3b-8e9a-4b6c-a7d8-e9f0a1b2c3d4';
const PRODUCT_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

/** One payload per event type; typed as the complete map, so a new event type needs an example. */
const EXAMPLES: EventPayloads = {
  CustomerRegistered: {
    customerId: CUSTOMER_ID,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    givenName: 'Ada',
    familyName: 'Lovelace',
  },
  ProductAdded: {
    productId: PRODUCT_ID,
    sku: 'MUG-001',
    name: 'Mug',
    description: null,
    priceCents: 1_250,
    currency: 'EUR',
    stock: 40,
  },
  ProductPriceChanged: {
    productId: PRODUCT_ID,
    previousPriceCents: 1_250,
    priceCents: 1_400,
    currency: 'EUR',
  },
  ProductRestocked: { productId: PRODUCT_ID, quantity: 10, stock: 50 },
  StockReserved: { productId: PRODUCT_ID, orderId: ORDER_ID, quantity: 2, stock: 48 },
  StockReleased: { productId: PRODUCT_ID, orderId: ORDER_ID, quantity: 2, stock: 50 },
  OrderPlaced: {
    orderId: ORDER_ID,
    customerId: CUSTOMER_ID,
    lines: [
      {
        productId: PRODUCT_ID,
        sku: 'MUG-001',
        productName: 'Mug',
        quantity: 2,
        unitPriceCents: 1_250,
        lineTotalCents: 2_500,
      },
    ],
    totalCents: 2_500,
    currency: 'EUR',
    channel: 'MOBILE_APP',
  },
  OrderPaid: { orderId: ORDER_ID, amountCents: 2_500, currency: 'EUR' },
  OrderShipped: { orderId: ORDER_ID },
  OrderCancelled: { orderId: ORDER_ID, previousStatus: 'PAID', refundCents: 2_500, currency: 'EUR' },
};

function thrown<E extends Error>(kind: new (...args: never[]) => E, run: () => unknown): E {
  try {
    run();
  } catch (error) {
    if (error instanceof kind) return error;
    throw error;
  }
  throw new Error(`expected a ${kind.name}`);
}

const errorOf = (run: () => unknown) => thrown(EventContractError, run);

/** A single-object message built by hand, to check the codec against the specification. */
function singleObject(fingerprint: bigint, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.set([0xc3, 0x01]);
  header.writeBigUInt64LE(fingerprint, 2);
  return Buffer.concat([header, body]);
}

function schemaFile(name: string): Schema {
  return JSON.parse(readFileSync(path.join(SCHEMAS_DIR, name), 'utf8')) as Schema;
}

describe('encodeEvent and decodeEvent', () => {
  it.each(EVENT_TYPES)('round-trip %s events', (eventType) => {
    const decoded = decodeEvent(encodeEvent(eventType, EXAMPLES[eventType]));
    expect(decoded).toEqual({
      eventType,
      schemaVersion: LATEST_SCHEMA_VERSIONS[eventType],
      fingerprint: eventSchemas.latest(eventType).fingerprintHex,
      payload: EXAMPLES[eventType],
    });
  });

  it('writes C3 01, then the writer schema fingerprint little-endian, then the Avro body', () => {
    const message = encodeEvent('OrderShipped', { orderId: ORDER_ID });
    const { fingerprint, type } = eventSchemas.latest('OrderShipped');
    expect(message.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(message.readBigUInt64LE(2)).toBe(fingerprint);
    expect(message.subarray(10)).toEqual(type.toBuffer({ orderId: ORDER_ID }));
  });

  it('narrows the payload by event type', () => {
    const decoded = decodeEvent(encodeEvent('OrderPlaced', EXAMPLES.OrderPlaced));
    if (decoded.eventType !== 'OrderPlaced') throw new Error(`decoded ${decoded.eventType}`);
    expect(decoded.payload.lines.map((line) => line.sku)).toEqual(['MUG-001']);
  });

  it('decodes a message whose body a plain avsc type built from the .avsc file wrote', () => {
    const plain = Type.forSchema(schemaFile('OrderPlaced.v2.avsc'));
    const message = singleObject(schemaFingerprint(plain), plain.toBuffer(EXAMPLES.OrderPlaced));
    expect(decodeEvent(message)).toMatchObject({ eventType: 'OrderPlaced', payload: EXAMPLES.OrderPlaced });
  });

  it('writes a body that a plain avsc type built from the .avsc file reads', () => {
    const plain = Type.forSchema(schemaFile('ProductAdded.v1.avsc'));
    const message = encodeEvent('ProductAdded', EXAMPLES.ProductAdded);
    expect(plain.fromBuffer(message.subarray(10))).toEqual(EXAMPLES.ProductAdded);
  });

  it('accepts a Uint8Array view of a larger buffer', () => {
    const message = encodeEvent('OrderPaid', EXAMPLES.OrderPaid);
    const padded = new Uint8Array(message.length + 8);
    padded.set(message, 4);
    expect(decodeEvent(padded.subarray(4, 4 + message.length)).payload).toEqual(EXAMPLES.OrderPaid);
  });
});

describe('decodeEvent rejects', () => {
  it.each([
    ['a JSON message', Buffer.from('{"orderId":"x"}')],
    ['an empty message', Buffer.alloc(0)],
    ['a message shorter than the header', Buffer.from([0xc3, 0x01, 0x00])],
    ['the Confluent wire format', Buffer.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x78, 0x00, 0x00])],
  ])('%s as not single-object encoded', (_, message) => {
    const error = errorOf(() => decodeEvent(message));
    expect(error.code).toBe('event.not-single-object-encoded');
    expect(error.message).toContain('Not an Avro single-object message');
  });

  it('a writer schema it does not know, naming the fingerprint, as not worth retrying', () => {
    const message = singleObject(0x0123456789abcdefn, Buffer.from([0x02, 0x78]));
    const error = thrown(UnknownSchemaFingerprintError, () => decodeEvent(message));
    expect(error).toMatchObject({ code: 'event.unknown-schema-fingerprint', canRetry: false });
    expect(error.fingerprint).toBe('0123456789abcdef');
    expect(error.message).toContain('0123456789abcdef');
  });

  it('a writer schema it does not know, telling an operator which versions it knows and what to do', () => {
    const message = singleObject(0x0123456789abcdefn, Buffer.from([0x02, 0x78]));
    const error = thrown(UnknownSchemaFingerprintError, () => decodeEvent(message));
    const count = eventSchemas.all().length;
    expect(error.message).toMatch(
      new RegExp(
        `^Event written with an unknown schema \\(fingerprint 0123456789abcdef\\): it is none of the ${count} ` +
          'schema versions this reader knows \\(CustomerRegistered v1, v2; OrderCancelled v1; .*OrderPlaced v1, v2; .*\\)\\. ' +
          'The writer has a newer schema \\(or a foreign one\\): upgrade this reader to a release that has it',
      ),
    );
    expect(error.known).toContainEqual({ eventType: 'OrderPlaced', version: 2 });
  });

  it('a writer schema it does not know, saying so plainly when it is built without the list', () => {
    expect(new UnknownSchemaFingerprintError('0123456789abcdef').message).toBe(
      'Event written with an unknown schema (fingerprint 0123456789abcdef): it is none of the 0 schema ' +
        'versions this reader knows. The writer has a newer schema (or a foreign one): upgrade this ' +
        'reader to a release that has it, then redrive the event.',
    );
  });

  it('a truncated body', () => {
    const message = encodeEvent('OrderPlaced', EXAMPLES.OrderPlaced);
    const error = errorOf(() => decodeEvent(message.subarray(0, message.length - 3)));
    expect(error.code).toBe('event.corrupt-body');
    expect(error.message).toContain('OrderPlaced v2');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a body with trailing bytes', () => {
    const message = Buffer.concat([encodeEvent('OrderShipped', EXAMPLES.OrderShipped), Buffer.from([0])]);
    expect(errorOf(() => decodeEvent(message)).code).toBe('event.corrupt-body');
  });

  it('a body that does not fit the schema', () => {
    const { fingerprint } = eventSchemas.latest('OrderCancelled');
    // orderId "x", then enum index -5: no such symbol.
    const message = singleObject(fingerprint, Buffer.from([0x02, 0x78, 0x09, 0x00, 0x06, 0x45, 0x55, 0x52]));
    expect(errorOf(() => decodeEvent(message)).code).toBe('event.corrupt-body');
  });
});

describe('encodeEvent rejects an invalid payload', () => {
  it('naming the event type and every invalid field, without echoing strings', () => {
    const payload = {
      ...EXAMPLES.OrderPlaced,
      lines: [{ ...EXAMPLES.OrderPlaced.lines[0], quantity: 'two' }],
      totalCents: 2.5,
      currency: undefined,
    } as unknown as OrderPlacedV2;
    const error = thrown(InvalidEventPayloadError, () => encodeEvent('OrderPlaced', payload));
    expect(error).toMatchObject({ code: 'event.invalid-payload', eventType: 'OrderPlaced', canRetry: false });
    expect(error.problems).toEqual([
      'lines.0.quantity: expected int, got a string',
      'totalCents: expected long, got 2.5',
      'currency: missing (expected string)',
    ]);
    expect(error.message).toMatch(/^Invalid OrderPlaced v2 payload: lines\.0\.quantity: expected int/);
    expect(error.message).not.toContain('two');
  });

  it('naming the branches of a union', () => {
    const payload = {
      ...EXAMPLES.OrderCancelled,
      refundCents: '25.00',
    } as unknown as EventPayloads['OrderCancelled'];
    expect(errorOf(() => encodeEvent('OrderCancelled', payload)).message).toContain(
      'refundCents: expected null or long, got a string',
    );
  });

  it('naming the allowed symbols of an enum', () => {
    const payload = {
      ...EXAMPLES.OrderCancelled,
      previousStatus: 'SHIPPED',
    } as unknown as EventPayloads['OrderCancelled'];
    expect(errorOf(() => encodeEvent('OrderCancelled', payload)).message).toContain(
      'previousStatus: expected one of PLACED, PAID, got a string',
    );
  });

  it('naming fields that the schema does not declare, which would be dropped silently', () => {
    const line = { ...EXAMPLES.OrderPlaced.lines[0], discountCents: 100 };
    const payload = { ...EXAMPLES.OrderPlaced, lines: [line], coupon: 'WELCOME' } as OrderPlacedV2;
    const error = thrown(InvalidEventPayloadError, () => encodeEvent('OrderPlaced', payload));
    expect(error.problems).toEqual(['coupon: not in the schema', 'lines.0.discountCents: not in the schema']);
  });

  it('that is not an object', () => {
    const payload = null as unknown as EventPayloads['OrderShipped'];
    expect(errorOf(() => encodeEvent('OrderShipped', payload)).message).toContain(
      '(payload): expected a shop.events.OrderShipped record, got null',
    );
  });

  it('of an event type that has no schema', () => {
    const error = errorOf(() => encodeEvent('OrderExploded' as EventType, EXAMPLES.OrderShipped));
    expect(error.code).toBe('event.unknown-event-type');
  });
});

describe('schema evolution', () => {
  /** The shipped schemas, with ProductAdded's file as v2 and an older shape as v1. */
  const OLDER_PRODUCT_ADDED = {
    type: 'record',
    name: 'ProductAdded',
    namespace: 'shop.events',
    fields: [
      { name: 'productId', type: 'string' },
      { name: 'sku', type: 'string' },
      { name: 'name', type: 'string' },
      // v1 had no description (v2 defaults it to null), an int price (v2 promotes it to long) …
      { name: 'priceCents', type: 'int' },
      { name: 'currency', type: 'string' },
      { name: 'stock', type: 'int' },
      // … and a field that v2 no longer reads.
      { name: 'legacyCode', type: 'string' },
    ],
  } satisfies Schema;

  function registryWith(older: Schema): EventSchemaRegistry {
    const shipped = eventSchemas.all().map(({ eventType, version, schema }): EventSchemaSource => ({
      eventType,
      version: eventType === 'ProductAdded' ? version + 1 : version,
      schema,
    }));
    return new EventSchemaRegistry([...shipped, { eventType: 'ProductAdded', version: 1, schema: older }]);
  }

  it('decodes a message written with an older version into the latest shape', () => {
    const registry = registryWith(OLDER_PRODUCT_ADDED);
    const writer = Type.forSchema(OLDER_PRODUCT_ADDED);
    const body = writer.toBuffer({ ...EXAMPLES.ProductAdded, description: undefined, legacyCode: 'OLD-7' });
    const decoded = decodeEvent(singleObject(schemaFingerprint(writer), body), registry);
    expect(decoded).toEqual({
      eventType: 'ProductAdded',
      schemaVersion: 1,
      fingerprint: registry.byFingerprint(schemaFingerprint(writer))?.fingerprintHex,
      payload: EXAMPLES.ProductAdded,
    });
  });

  it('encodes with the latest version', () => {
    const registry = registryWith(OLDER_PRODUCT_ADDED);
    const decoded = decodeEvent(encodeEvent('ProductAdded', EXAMPLES.ProductAdded, registry), registry);
    expect(decoded.schemaVersion).toBe(2);
  });

  it('refuses a latest version that cannot read an older one', () => {
    const withoutSku = {
      ...OLDER_PRODUCT_ADDED,
      fields: OLDER_PRODUCT_ADDED.fields.filter((f) => f.name !== 'sku'),
    };
    const error = errorOf(() => registryWith(withoutSku));
    expect(error.code).toBe('event.invalid-schema');
    expect(error.message).toContain('ProductAdded v2 cannot read data written with v1');
  });

  it('refuses a schema whose record is not named after its event type', () => {
    const error = errorOf(() => registryWith({ ...OLDER_PRODUCT_ADDED, name: 'ProductCreated' }));
    expect(error.message).toContain('must be a record named shop.events.ProductAdded');
  });

  it('refuses a new version with the same canonical form as an older one', () => {
    const error = errorOf(() => registryWith(schemaFile('ProductAdded.v1.avsc')));
    expect(error.message).toContain('has the same canonical form as');
  });
});

describe('the shipped schemas', () => {
  it('hold every event type, its latest version the one the generated types describe', () => {
    expect([...new Set(eventSchemas.all().map((schema) => schema.eventType))].sort()).toEqual([
      ...EVENT_TYPES,
    ]);
    for (const eventType of EVENT_TYPES) {
      expect(eventSchemas.latest(eventType).version).toBe(LATEST_SCHEMA_VERSIONS[eventType]);
    }
  });

  it('give each version its fingerprint and canonical form', () => {
    for (const schema of eventSchemas.all()) {
      expect(schema.fingerprintHex).toMatch(/^[0-9a-f]{16}$/);
      expect(schema.canonicalForm).toMatch(new RegExp(`^\\{"name":"shop\\.events\\.${schema.eventType}"`));
      expect(eventSchemas.byFingerprint(schema.fingerprint)).toBe(schema);
    }
  });
});

describe('the shipped v2 schemas', () => {
  const V1_ORDER = Type.forSchema(schemaFile('OrderPlaced.v1.avsc'));
  const V1_CUSTOMER = Type.forSchema(schemaFile('CustomerRegistered.v1.avsc'));
  const { channel, ...orderV1 } = EXAMPLES.OrderPlaced;
  const { givenName, familyName, ...customerV1 } = EXAMPLES.CustomerRegistered;

  it('read an OrderPlaced written with v1 as a web order (backward)', () => {
    const message = singleObject(schemaFingerprint(V1_ORDER), V1_ORDER.toBuffer(orderV1));
    expect(decodeEvent(message)).toMatchObject({
      schemaVersion: 1,
      payload: { ...orderV1, channel: 'WEB' },
    });
  });

  it('read a CustomerRegistered written with v1 without the name parts (backward)', () => {
    const message = singleObject(schemaFingerprint(V1_CUSTOMER), V1_CUSTOMER.toBuffer(customerV1));
    expect(decodeEvent(message).payload).toEqual({ ...customerV1, givenName: null, familyName: null });
  });

  it('write events that v1 readers read, ignoring the new fields (forward)', () => {
    const order = encodeEvent('OrderPlaced', EXAMPLES.OrderPlaced).subarray(10);
    const customer = encodeEvent('CustomerRegistered', EXAMPLES.CustomerRegistered).subarray(10);
    const asV1 = (reader: Type, body: Buffer, writer: EventType) =>
      reader.fromBuffer(body, reader.createResolver(eventSchemas.latest(writer).type)) as unknown;
    expect(channel).toBe('MOBILE_APP');
    expect(asV1(V1_ORDER, order, 'OrderPlaced')).toEqual(orderV1);
    expect([givenName, familyName]).toEqual(['Ada', 'Lovelace']);
    expect(asV1(V1_CUSTOMER, customer, 'CustomerRegistered')).toEqual(customerV1);
  });

  it('read a sales channel added after v2 as UNKNOWN, the enum default', () => {
    const v2 = schemaFile('OrderPlaced.v2.avsc') as { fields: { name: string; type: unknown }[] };
    const withKiosk = {
      ...v2,
      fields: v2.fields.map((field) =>
        field.name === 'channel'
          ? { ...field, type: { ...(field.type as object), symbols: ['WEB', 'KIOSK', 'UNKNOWN'] } }
          : field,
      ),
    } as Schema;
    const v3 = Type.forSchema(withKiosk);
    const reader = eventSchemas.latest('OrderPlaced').type;
    const body = v3.toBuffer({ ...EXAMPLES.OrderPlaced, channel: 'KIOSK' });
    expect(reader.fromBuffer(body, reader.createResolver(v3))).toMatchObject({ channel: 'UNKNOWN' });
  });
});
