import { Type } from 'avsc';
import type { Schema } from 'avsc';
import {
  fingerprintHex,
  parsingCanonicalForm,
  rabinFingerprint64,
  schemaFingerprint,
} from '@cqrs-shop/event-codec';

/**
 * From Apache Avro's share/test/data/schema-tests.txt, the vectors every Avro implementation is
 * tested against (cross-checked there by Java's direct implementation of the algorithm). The
 * fingerprints are Java's signed 64-bit longs, hence BigInt.asUintN below.
 */
const AVRO_VECTORS = [
  { input: '"null"', canonical: '"null"', fingerprint: '7195948357588979594' },
  { input: '{"type":"boolean"}', canonical: '"boolean"', fingerprint: '-6970731678124411036' },
  { input: '"int"', canonical: '"int"', fingerprint: '8247732601305521295' },
  { input: '{"type":"long"}', canonical: '"long"', fingerprint: '-3434872931120570953' },
  { input: '"string"', canonical: '"string"', fingerprint: '-8142146995180207161' },
  {
    input: '[ "int" , {"type":"boolean"} ]',
    canonical: '["int","boolean"]',
    fingerprint: '5392556393470105090',
  },
  {
    input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    canonical: '{"name":"x.y.foo","type":"record","fields":[]}',
    fingerprint: '5916914534497305771',
  },
  {
    input: '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: '-4824392279771201922',
  },
  {
    input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: '-4448647247586288245',
  },
  {
    input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}',
    fingerprint: '-3064184465700546786',
  },
  {
    input: '{ "items":{"type":"null"}, "type":"array"}',
    canonical: '{"type":"array","items":"null"}',
    fingerprint: '-589620603366471059',
  },
  {
    input: '{ "values":"string", "type":"map"}',
    canonical: '{"type":"map","values":"string"}',
    fingerprint: '-8732877298790414990',
  },
  {
    input:
      '{"name":"PigValue","type":"record","fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    canonical:
      '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: '-1759257747318642341',
  },
];

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('CRC-64-AVRO fingerprint', () => {
  it.each(AVRO_VECTORS)('matches the Avro test vector for $canonical', ({ canonical, fingerprint }) => {
    expect(rabinFingerprint64(utf8(canonical))).toBe(BigInt.asUintN(64, BigInt(fingerprint)));
  });

  it('matches the published hex values for "int" and "string" (goavro, Avro Ruby)', () => {
    expect(fingerprintHex(rabinFingerprint64(utf8('"int"')))).toBe('7275d51a3f395c8f');
    expect(fingerprintHex(rabinFingerprint64(utf8('"string"')))).toBe('8f014872634503c7');
  });

  it('is the initial value EMPTY for no bytes', () => {
    expect(rabinFingerprint64(new Uint8Array())).toBe(0xc15d213aa4d7a795n);
  });

  it('gives the single-object header Avro Ruby expects for "int", fingerprint little-endian', () => {
    const header = Buffer.alloc(10);
    header.set([0xc3, 0x01]);
    header.writeBigUInt64LE(schemaFingerprint(Type.forSchema('int')), 2);
    expect([...header]).toEqual([0xc3, 0x01, 0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72]);
  });

  it('writes 16 hex digits, with leading zeros', () => {
    expect(fingerprintHex(1n)).toBe('0000000000000001');
  });
});

describe('parsingCanonicalForm', () => {
  it.each(AVRO_VECTORS)(
    'turns $input into the canonical form of the Avro test vectors',
    ({ input, canonical }) => {
      expect(parsingCanonicalForm(Type.forSchema(JSON.parse(input) as Schema))).toBe(canonical);
    },
  );

  it('drops logicalType, doc and default, which do not change how data is read', () => {
    const annotated = Type.forSchema({
      type: 'record',
      name: 'R',
      namespace: 'shop.events',
      doc: 'A record.',
      fields: [
        { name: 'id', type: { type: 'string', logicalType: 'uuid' }, doc: 'The id.' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    });
    expect(parsingCanonicalForm(annotated)).toBe(
      '{"name":"shop.events.R","type":"record","fields":[{"name":"id","type":"string"},{"name":"note","type":["null","string"]}]}',
    );
  });
});
