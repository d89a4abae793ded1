import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Type } from 'avsc';
import type { Resolver, Schema } from 'avsc';
import { isEventType } from '@cqrs-shop/events';
import { EventContractError } from '@cqrs-shop/events';
import { fingerprintHex, parsingCanonicalForm, rabinFingerprint64 } from './fingerprint.js';
import { EVENT_TYPES, LATEST_SCHEMA_VERSIONS } from '@cqrs-shop/events';
import type { EventType } from '@cqrs-shop/events';

/**
 * The folder of `.avsc` files. Resolved from this module, so it is the same folder whether the
 * code runs from `src/` (tests) or from `dist/` (services); deployments must ship `schemas/`.
 */
export const SCHEMAS_DIR = path.resolve(__dirname, '..', 'schemas');

/** Every event schema is a record named `shop.events.<EventType>`. */
const NAMESPACE = 'shop.events';

const SCHEMA_FILE_NAME = /^([A-Z][A-Za-z0-9]*)\.v([1-9][0-9]*)\.avsc$/;

/** One version of one event type's schema, as given to {@link EventSchemaRegistry}. */
export interface EventSchemaSource {
  readonly eventType: string;
  /** Positive integer; the highest version of an event type is the one this code reads into. */
  readonly version: number;
  /** The schema as written in its `.avsc` file. */
  readonly schema: Schema;
}

/** One version of one event type's schema, parsed and fingerprinted. */
export interface EventSchema {
  readonly eventType: EventType;
  readonly version: number;
  /** The schema as written in its `.avsc` file, docs included. */
  readonly schema: Schema;
  /** The avsc type that reads and writes this version. */
  readonly type: Type;
  /** The schema's Parsing Canonical Form (Avro specification). */
  readonly canonicalForm: string;
  /** CRC-64-AVRO fingerprint of the canonical form. */
  readonly fingerprint: bigint;
  /** The fingerprint as 16 lower-case hex digits. */
  readonly fingerprintHex: string;
}

/**
 * Every known version of every event schema, looked up by event type or by fingerprint.
 *
 * Checked when built, so a broken schema folder fails at start-up rather than on the first
 * message: every event type has a schema, each is a record named after its event type,
 * fingerprints are unique, and the latest version of each event type can read every older one.
 */
export class EventSchemaRegistry {
  readonly #byFingerprint = new Map<bigint, EventSchema>();
  readonly #latest = new Map<EventType, EventSchema>();
  /** Reads data written with an older version into the latest one, keyed by writer fingerprint. */
  readonly #resolvers = new Map<bigint, Resolver>();

  /**
   * Loads every `<EventType>.v<N>.avsc` file of a folder (by default this package's), and checks
   * that the latest versions are the ones the generated payload types describe.
   */
  static fromDirectory(dir: string = SCHEMAS_DIR): EventSchemaRegistry {
    const sources = readdirSync(dir)
      .filter((name) => name.endsWith('.avsc'))
      .map((name): EventSchemaSource => {
        const match = SCHEMA_FILE_NAME.exec(name);
        if (!match?.[1] || !match[2]) {
          throw invalidSchema(`${name}: schema files are named <EventType>.v<N>.avsc`);
        }
        let schema: Schema;
        try {
          schema = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Schema;
        } catch (error) {
          throw invalidSchema(`${name} is not valid JSON`, error);
        }
        return { eventType: match[1], version: Number(match[2]), schema };
      });
    const registry = new EventSchemaRegistry(sources);
    // The payload types were generated from the latest versions; a newer file without
    // regenerated types would decode into a shape the types do not describe.
    for (const eventType of EVENT_TYPES) {
      const { version } = registry.latest(eventType);
      if (version !== LATEST_SCHEMA_VERSIONS[eventType]) {
        throw invalidSchema(
          `the latest ${eventType} schema is v${version} but the generated types describe ` +
            `v${LATEST_SCHEMA_VERSIONS[eventType]}; run node packages/event-codec/scripts/generate-types.ts`,
        );
      }
    }
    return registry;
  }

  /** Parses and checks the given schema versions; throws an `event.invalid-schema` error if any is unfit. */
  constructor(sources: Iterable<EventSchemaSource>) {
    const versions = new Map<EventType, EventSchema[]>();
    for (const source of sources) {
      const entry = parse(source);
      const earlier = this.#byFingerprint.get(entry.fingerprint);
      if (earlier) {
        throw invalidSchema(
          `${label(entry)} has the same canonical form as ${label(earlier)}; a new version must change the shape`,
        );
      }
      this.#byFingerprint.set(entry.fingerprint, entry);
      const list = versions.get(entry.eventType) ?? [];
      if (list.some((other) => other.version === entry.version)) {
        throw invalidSchema(`${label(entry)} is defined twice`);
      }
      versions.set(entry.eventType, [...list, entry]);
    }
    for (const eventType of EVENT_TYPES) {
      const list = versions.get(eventType) ?? [];
      const latest = list.reduce<EventSchema | undefined>(
        (best, entry) => (best && best.version > entry.version ? best : entry),
        undefined,
      );
      if (!latest) throw invalidSchema(`no schema for ${eventType}`);
      this.#latest.set(eventType, latest);
      for (const older of list) {
        if (older === latest) continue;
        try {
          this.#resolvers.set(older.fingerprint, latest.type.createResolver(older.type));
        } catch (error) {
          throw invalidSchema(`${label(latest)} cannot read data written with v${older.version}`, error);
        }
      }
    }
  }

  /** Every schema version, in the order given. */
  all(): EventSchema[] {
    return [...this.#byFingerprint.values()];
  }

  /** The latest version of an event type: the one encoded and decoded into. */
  latest(eventType: EventType): EventSchema {
    const entry = this.#latest.get(eventType);
    if (!entry) throw new EventContractError('event.unknown-event-type', `Unknown event type ${eventType}`);
    return entry;
  }

  /** The schema version with this CRC-64-AVRO fingerprint, if it is known. */
  byFingerprint(fingerprint: bigint): EventSchema | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  /**
   * What reads data written with `writer` into the latest version of its event type:
   * `undefined` when `writer` is that latest version (no resolution needed).
   */
  resolverFor(writer: EventSchema): Resolver | undefined {
    return this.#resolvers.get(writer.fingerprint);
  }
}

function parse(source: EventSchemaSource): EventSchema {
  const { eventType, version } = source;
  const name = `${eventType}.v${version}`;
  if (!isEventType(eventType)) {
    throw invalidSchema(
      `${name}: ${eventType} is not in the generated types; run node packages/event-codec/scripts/generate-types.ts`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalidSchema(`${name}: the version must be a positive integer`);
  }
  let type: Type;
  try {
    // No logical type implementations: values stay plain strings and numbers, which is what the
    // generated types say, and the canonical form drops logicalType as the specification wants.
    type = Type.forSchema(source.schema, { omitRecordMethods: true });
  } catch (error) {
    throw invalidSchema(`${name} is not a valid Avro schema`, error);
  }
  if (type.typeName !== 'record' || type.name !== `${NAMESPACE}.${eventType}`) {
    throw invalidSchema(`${name} must be a record named ${NAMESPACE}.${eventType}`);
  }
  const canonicalForm = parsingCanonicalForm(type);
  const fingerprint = rabinFingerprint64(Buffer.from(canonicalForm, 'utf8'));
  return {
    eventType,
    version,
    schema: source.schema,
    type,
    canonicalForm,
    fingerprint,
    fingerprintHex: fingerprintHex(fingerprint),
  };
}

function label(entry: EventSchema): string {
  return `${entry.eventType} v${entry.version}`;
}

function invalidSchema(message: string, cause?: unknown): EventContractError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new EventContractError('event.invalid-schema', `${message}${detail}`, { cause });
}

/** The schemas shipped in this package, loaded once when the package is first imported. */
export const eventSchemas: EventSchemaRegistry = EventSchemaRegistry.fromDirectory();
