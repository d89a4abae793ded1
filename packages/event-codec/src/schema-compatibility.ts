// Schema compatibility between versions of an event, by the Avro specification's schema
// resolution rules (https://avro.apache.org/docs/1.11.1/specification/#schema-resolution):
// can data written with one version be read with another? Pure: schemas in, problems out.
//
// scripts/check-compatibility.ts runs this file in Node as it is (type stripping), so it imports
// nothing of this package at run time: sibling imports end in `.js`, which exists only once built.
import avro from 'avsc';
import type { Schema, Type } from 'avsc';

/**
 * `backward`: the newer version reads data the older one wrote (new consumers, old events).
 * `forward`: the older version reads data the newer one wrote (old consumers, new events).
 */
export type CompatibilityDirection = 'backward' | 'forward';

/** One version of one event type's schema, as written in its `<EventType>.v<N>.avsc` file. */
export interface VersionedSchema {
  readonly eventType: string;
  readonly version: number;
  readonly schema: unknown;
}

/** Why a reader schema cannot read what a writer schema wrote, at one place in the data. */
export interface ResolutionProblem {
  /**
   * Reader field names from the record down, e.g. `lines[].quantity` (`[]` stands for an array's
   * items, `{}` for a map's values); `''` for the record itself.
   */
  readonly path: string;
  /** What does not resolve, e.g. `long cannot be read as int`. */
  readonly reason: string;
}

/** A pair of versions of one event type that do not resolve in one direction. */
export interface CompatibilityProblem extends ResolutionProblem {
  readonly eventType: string;
  /** The version that reads. */
  readonly readerVersion: number;
  /** The version that wrote. */
  readonly writerVersion: number;
  readonly direction: CompatibilityDirection;
  /**
   * `rules` when this module's resolution rules found it; `avsc` when only avsc's resolver (the
   * codec's) refuses the pair, so that no disagreement between the two goes unnoticed.
   */
  readonly foundBy: 'rules' | 'avsc';
  /**
   * One line for people, e.g.
   * `OrderPlaced v3 cannot read v2 (backward): field totalCents: long cannot be read as int`.
   */
  readonly message: string;
}

/** The verdict on one event type: every pair of its versions, both directions. */
export interface EventCompatibility {
  readonly eventType: string;
  /** Ascending. */
  readonly versions: readonly number[];
  /** Empty when every version reads every other. */
  readonly problems: readonly CompatibilityProblem[];
}

/**
 * Compares every version of each event type with every earlier version of the same event type,
 * both ways: the newer reading the older's data (backward) and the older reading the newer's
 * (forward). Each pair is judged by the resolution rules and cross-checked with avsc's
 * `createResolver`; a pair that avsc refuses although the rules accept it is a problem too.
 *
 * @returns one verdict per event type, in alphabetical order
 * @throws {Error} naming the file when a schema is not valid Avro or a version is given twice.
 */
export function checkSchemaCompatibility(schemas: Iterable<VersionedSchema>): EventCompatibility[] {
  const byEventType = new Map<string, Map<number, Type>>();
  for (const { eventType, version, schema } of schemas) {
    const file = `${eventType}.v${version}.avsc`;
    const versions = byEventType.get(eventType) ?? new Map<number, Type>();
    if (versions.has(version)) throw new Error(`${file} is given twice`);
    versions.set(version, parseSchema(schema, file));
    byEventType.set(eventType, versions);
  }
  return [...byEventType.keys()].sort().map((eventType) => {
    const types = byEventType.get(eventType) ?? new Map<number, Type>();
    const versions = [...types.keys()].sort((a, b) => a - b);
    const problems: CompatibilityProblem[] = [];
    versions.forEach((newer, index) => {
      for (const older of versions.slice(0, index)) {
        const pair = { eventType, older, newer, types };
        problems.push(...pairProblems(pair, 'backward'), ...pairProblems(pair, 'forward'));
      }
    });
    return { eventType, versions, problems };
  });
}

/**
 * What stops `reader` from reading data written with `writer`, by the specification's resolution
 * rules alone (no cross-check); empty when it can. Both may be avsc types or schemas.
 */
export function resolutionProblems(reader: Schema, writer: Schema): ResolutionProblem[] {
  // forSchema returns an avsc type as it is.
  return problemsOf(avro.Type.forSchema(reader), avro.Type.forSchema(writer), '', new PairsInProgress());
}

function pairProblems(
  pair: { eventType: string; older: number; newer: number; types: ReadonlyMap<number, Type> },
  direction: CompatibilityDirection,
): CompatibilityProblem[] {
  const [readerVersion, writerVersion] =
    direction === 'backward' ? [pair.newer, pair.older] : [pair.older, pair.newer];
  const reader = pair.types.get(readerVersion);
  const writer = pair.types.get(writerVersion);
  if (!reader || !writer) return [];
  const found = (foundBy: 'rules' | 'avsc', { path, reason }: ResolutionProblem): CompatibilityProblem => ({
    eventType: pair.eventType,
    readerVersion,
    writerVersion,
    direction,
    path,
    reason,
    foundBy,
    message:
      `${pair.eventType} v${readerVersion} cannot read v${writerVersion} (${direction}): ` +
      `${path === '' ? '' : `field ${path}: `}${reason}`,
  });
  const problems = resolutionProblems(reader, writer).map((problem) => found('rules', problem));
  if (problems.length > 0) return problems;
  const refusal = avscRefusal(reader, writer);
  return refusal === undefined
    ? []
    : [
        found('avsc', {
          path: '',
          reason: `avsc refuses it although the resolution rules allow it: ${refusal}`,
        }),
      ];
}

/** avsc's reason for refusing to read `writer` data as `reader`, or undefined when it can. */
function avscRefusal(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function parseSchema(schema: unknown, file: string): Type {
  try {
    // Without logical type implementations: a logical type resolves as its underlying type.
    return avro.Type.forSchema(schema as Schema);
  } catch (error) {
    throw new Error(
      `${file} is not a valid Avro schema: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The record pairs being compared further up, so that a recursive schema (a record that contains
 * itself) ends: meeting a pair again assumes it resolves, and the first visit decides.
 */
class PairsInProgress {
  readonly #pairs = new Map<Type, Set<Type>>();

  /** Runs `check` unless the pair is already in progress (then: no problems). */
  guard(reader: Type, writer: Type, check: () => ResolutionProblem[]): ResolutionProblem[] {
    const writers = this.#pairs.get(reader) ?? new Set<Type>();
    if (writers.has(writer)) return [];
    this.#pairs.set(reader, writers.add(writer));
    try {
      return check();
    } finally {
      writers.delete(writer);
    }
  }
}

/** Promotions the specification allows: writer type → reader types that read it. */
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function problemsOf(reader: Type, writer: Type, path: string, pairs: PairsInProgress): ResolutionProblem[] {
  // A writer's union: whichever branch a datum took, the reader must read it.
  if (isUnion(writer)) return writer.types.flatMap((branch) => problemsOf(reader, branch, path, pairs));
  if (isUnion(reader)) return readIntoUnion(reader, writer, path, pairs);
  if (reader instanceof avro.types.RecordType) return recordProblems(reader, writer, path, pairs);
  if (reader instanceof avro.types.EnumType) return enumProblems(reader, writer, path);
  if (reader instanceof avro.types.FixedType) {
    if (!(writer instanceof avro.types.FixedType)) return [mismatch(reader, writer, path)];
    if (!namesMatch(reader, writer)) return [nameMismatch(reader, writer, path)];
    return writer.size === reader.size
      ? []
      : [
          {
            path,
            reason: `${describe(writer)} of ${writer.size} bytes cannot be read as ${reader.size} bytes`,
          },
        ];
  }
  if (reader instanceof avro.types.ArrayType) {
    return writer instanceof avro.types.ArrayType
      ? problemsOf(reader.itemsType, writer.itemsType, `${path}[]`, pairs)
      : [mismatch(reader, writer, path)];
  }
  if (reader instanceof avro.types.MapType) {
    return writer instanceof avro.types.MapType
      ? problemsOf(reader.valuesType as Type, writer.valuesType as Type, `${path}{}`, pairs)
      : [mismatch(reader, writer, path)];
  }
  // Primitives: the same type, or one the writer's promotes to.
  const readable =
    writer.typeName === reader.typeName || PROMOTIONS[writer.typeName]?.includes(reader.typeName);
  return readable ? [] : [mismatch(reader, writer, path)];
}

/** The first branch of the reader's union that reads the writer's type is the one used. */
function readIntoUnion(
  reader: UnionType,
  writer: Type,
  path: string,
  pairs: PairsInProgress,
): ResolutionProblem[] {
  for (const branch of reader.types) {
    if (problemsOf(branch, writer, path, pairs).length === 0) return [];
  }
  // A branch of the same kind (an evolved record, say) tells more than "no branch fits".
  const sameKind = reader.types.find(
    (branch) => branch.typeName === writer.typeName && (!isNamed(writer) || namesMatch(branch, writer)),
  );
  if (sameKind) return problemsOf(sameKind, writer, path, pairs);
  return [{ path, reason: `${describe(writer)} cannot be read as any branch of ${describe(reader)}` }];
}

function recordProblems(
  reader: avro.types.RecordType,
  writer: Type,
  path: string,
  pairs: PairsInProgress,
): ResolutionProblem[] {
  if (!(writer instanceof avro.types.RecordType)) return [mismatch(reader, writer, path)];
  if (!namesMatch(reader, writer)) return [nameMismatch(reader, writer, path)];
  const writerFields = new Map(writer.fields.map((field) => [field.name, field]));
  return pairs.guard(reader, writer, () =>
    reader.fields.flatMap((field): ResolutionProblem[] => {
      const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
      // Matched by name, else by one of the reader field's aliases (the old name of a renamed field).
      const names = [field.name, ...field.aliases];
      const matches = names.filter((name) => writerFields.has(name));
      const [match, ...others] = matches;
      if (others.length > 0) {
        return [
          {
            path: fieldPath,
            reason: `matches several of the writer's fields by name or alias (${matches.join(', ')})`,
          },
        ];
      }
      const written = match === undefined ? undefined : writerFields.get(match);
      if (written) return problemsOf(field.type, written.type, fieldPath, pairs);
      if (field.defaultValue() !== undefined) return [];
      const known = names.length > 1 ? ` (nor ${names.slice(1).join(', ')})` : '';
      return [
        { path: fieldPath, reason: `the writer has no such field${known} and the reader's has no default` },
      ];
    }),
  );
}

function enumProblems(reader: avro.types.EnumType, writer: Type, path: string): ResolutionProblem[] {
  if (!(writer instanceof avro.types.EnumType)) return [mismatch(reader, writer, path)];
  if (!namesMatch(reader, writer)) return [nameMismatch(reader, writer, path)];
  const unknown = writer.symbols.filter((symbol) => !reader.symbols.includes(symbol));
  // A reader's default stands in for symbols it does not know; without one they fail.
  if (unknown.length === 0 || enumDefault(reader) !== undefined) return [];
  const symbols = unknown.length === 1 ? 'symbol' : 'symbols';
  return [
    {
      path,
      reason:
        `${describe(writer)}: the writer's ${symbols} ${unknown.join(', ')} ` +
        `${unknown.length === 1 ? 'is' : 'are'} not in the reader's enum, which has no default`,
    },
  ];
}

/** avsc keeps an enum's `default` but does not declare it. */
function enumDefault(type: avro.types.EnumType): string | undefined {
  const { default: symbol } = type as { default?: unknown };
  return typeof symbol === 'string' ? symbol : undefined;
}

type UnionType = avro.types.UnwrappedUnionType | avro.types.WrappedUnionType;

function isUnion(type: Type): type is UnionType {
  return type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType;
}

function isNamed(type: Type): boolean {
  return (
    type instanceof avro.types.RecordType ||
    type instanceof avro.types.EnumType ||
    type instanceof avro.types.FixedType
  );
}

/**
 * Named types match when their unqualified names are equal (as the specification says), or when
 * the writer's full name is one of the reader's aliases (which avsc qualifies with the namespace).
 */
function namesMatch(reader: Type, writer: Type): boolean {
  const unqualified = (name: string | undefined) => name?.slice(name.lastIndexOf('.') + 1);
  if (writer.name === undefined) return true;
  return (
    unqualified(reader.name) === unqualified(writer.name) || (reader.aliases ?? []).includes(writer.name)
  );
}

function nameMismatch(reader: Type, writer: Type, path: string): ResolutionProblem {
  return {
    path,
    reason: `${describe(writer)} cannot be read as ${describe(reader)}: the names differ and the reader has no alias ${String(writer.name)}`,
  };
}

function mismatch(reader: Type, writer: Type, path: string): ResolutionProblem {
  return { path, reason: `${describe(writer)} cannot be read as ${describe(reader)}` };
}

/** `int`, `record shop.events.OrderLine`, `array<long>`, `union [null, string]`. */
function describe(type: Type): string {
  if (isUnion(type)) return `union [${type.types.map(describe).join(', ')}]`;
  if (isNamed(type)) return `${type.typeName} ${String(type.name)}`;
  if (type instanceof avro.types.ArrayType) return `array<${describe(type.itemsType)}>`;
  if (type instanceof avro.types.MapType) return `map<${describe(type.valuesType as Type)}>`;
  return type.typeName;
}
