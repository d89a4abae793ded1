/**
 * The events' Avro schemas (schemas/, one file per event type and version) and what works with
 * them: the single-object codec, schema fingerprints, the registry of every version (read from
 * the schema files on first use), and the compatibility check between versions. The contract
 * itself (types, catalog, headers) is @cqrs-shop/events.
 */
export { decodeEvent, encodeEvent } from './codec.js';
export type { DecodedEvent } from './codec.js';
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
