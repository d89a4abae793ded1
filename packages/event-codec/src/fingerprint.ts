import type { Type } from 'avsc';

/** The CRC-64-AVRO fingerprint of the empty input, and the polynomial of its table (Avro spec). */
const EMPTY = 0xc15d213aa4d7a795n;

/** Lookup table of 256 entries, built exactly as the Avro specification's reference code does. */
const FP_TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) {
    // Java's `EMPTY & -(fp & 1L)`: all 64 bits of EMPTY when the low bit is set, else none.
    fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
  }
  return fp;
});

/**
 * The CRC-64-AVRO (Rabin) fingerprint of some bytes, as an unsigned 64-bit integer.
 *
 * Java's `>>>` is the plain `>>` here because the BigInt is never negative.
 */
export function rabinFingerprint64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of bytes) {
    // The index is masked to 0..255, so the entry always exists.
    fp = (fp >> 8n) ^ (FP_TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  }
  return fp;
}

/**
 * A fingerprint as 16 lower-case hex digits, most significant first — the form Avro's test
 * vectors use, and the one in the `schema-fingerprint` header. (Messages carry it little-endian.)
 */
export function fingerprintHex(fingerprint: bigint): string {
  return fingerprint.toString(16).padStart(16, '0');
}

/**
 * The Parsing Canonical Form of a schema, as the Avro specification defines it.
 *
 * avsc's `schema()` (without `exportAttrs`) already applies the rules: primitives as bare
 * strings, fullnames instead of name + namespace, only `name`, `type`, `fields`, `symbols`,
 * `items`, `values` and `size` kept (doc, aliases, default, order and logicalType dropped), in
 * that order. `JSON.stringify` adds no whitespace and leaves non-ASCII unescaped. The tests check
 * this against the specification's own vectors.
 */
export function parsingCanonicalForm(type: Type): string {
  return JSON.stringify(type.schema());
}

/** The CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form (UTF-8). */
export function schemaFingerprint(type: Type): bigint {
  return rabinFingerprint64(Buffer.from(parsingCanonicalForm(type), 'utf8'));
}
