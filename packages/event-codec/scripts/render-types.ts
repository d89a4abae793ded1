// Renders the TypeScript types of the event payloads from the Avro schemas. Kept apart from
// generate-types.ts (which writes the file) so that a unit test can render in memory and fail
// when the committed file is stale. Runs in Node as is: erasable TypeScript only.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';

/** One `<EventType>.v<N>.avsc` file. */
export interface SchemaFile {
  readonly eventType: string;
  readonly version: number;
  /** The file's parsed JSON. */
  readonly schema: unknown;
}

const SCHEMA_FILE_NAME = /^([A-Z][A-Za-z0-9]*)\.v([1-9][0-9]*)\.avsc$/;

const PRINT_WIDTH = 110; // .prettierrc.json, so that `prettier --check` accepts the output as is

const PRIMITIVES: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

/** Reads every `.avsc` file of a folder, sorted by event type and version. */
export function readSchemaFiles(dir: string): SchemaFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.avsc'))
    .map((name) => {
      const match = SCHEMA_FILE_NAME.exec(name);
      if (!match?.[1] || !match[2]) {
        throw new Error(`${name}: schema files are named <EventType>.v<N>.avsc, e.g. OrderPlaced.v1.avsc`);
      }
      const text = readFileSync(path.join(dir, name), 'utf8');
      return { eventType: match[1], version: Number(match[2]), schema: JSON.parse(text) as unknown };
    })
    .sort(byEventTypeAndVersion);
}

/** The content of `src/generated/event-types.ts` for these schemas. */
export function renderTypes(files: readonly SchemaFile[]): string {
  const sorted = [...files].sort(byEventTypeAndVersion);
  const declarations: Declaration[] = [];
  const latest = new Map<string, number>();
  for (const file of sorted) {
    const label = `${file.eventType}.v${file.version}.avsc`;
    try {
      // avsc rejects what is not valid Avro, so the walk below can trust the structure.
      avro.Type.forSchema(file.schema as avro.Schema);
      const context: Context = { version: file.version, names: new Map(), declarations };
      const rendered = renderSchema(file.schema, undefined, context);
      if (
        !isObject(file.schema) ||
        file.schema.type !== 'record' ||
        rendered !== `${file.eventType}V${file.version}`
      ) {
        throw new Error(`must define a record named ${file.eventType}`);
      }
    } catch (error) {
      throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    latest.set(file.eventType, Math.max(file.version, latest.get(file.eventType) ?? 0));
  }
  const eventTypes = [...latest.keys()];
  return [
    '// Generated from packages/event-codec/schemas/*.avsc by packages/event-codec/scripts/generate-types.ts.',
    '// Do not edit: change the schemas, then run `node packages/event-codec/scripts/generate-types.ts`.',
    '',
    ...uniqueDeclarations(declarations).flatMap((text) => [text, '']),
    '/** The payload of every event type, in its latest schema version. */',
    'export interface EventPayloads {',
    ...eventTypes.map((type) => `  ${type}: ${type}V${String(latest.get(type))};`),
    '}',
    '',
    '/** The name of an event type. */',
    'export type EventType = keyof EventPayloads;',
    '',
    '/** Every event type, in alphabetical order. */',
    ...wrapped(
      'export const EVENT_TYPES = [',
      eventTypes.map((type) => `'${type}'`),
      '] as const;',
    ),
    '',
    '/** The latest schema version of every event type: the shape `EventPayloads` describes. */',
    'export const LATEST_SCHEMA_VERSIONS = {',
    ...eventTypes.map((type) => `  ${type}: ${String(latest.get(type))},`),
    '} as const satisfies Record<EventType, number>;',
    '',
  ].join('\n');
}

interface Declaration {
  readonly name: string;
  text: string;
}

interface Context {
  readonly version: number;
  /** Avro fullname → TypeScript name, for references to a named type defined earlier. */
  readonly names: Map<string, string>;
  readonly declarations: Declaration[];
}

/** Returns the TypeScript type of a schema, declaring the named types it defines. */
function renderSchema(schema: unknown, namespace: string | undefined, context: Context): string {
  if (typeof schema === 'string') {
    const primitive = PRIMITIVES[schema];
    if (primitive) return primitive;
    const name = context.names.get(fullName(schema, namespace));
    if (!name) throw new Error(`unknown type ${schema}`);
    return name;
  }
  if (Array.isArray(schema)) return renderUnion(schema, namespace, context);
  if (!isObject(schema)) throw new Error(`not a schema: ${JSON.stringify(schema)}`);
  const type = schema.type;
  switch (type) {
    case 'record':
    case 'error':
      return renderRecord(schema, namespace, context);
    case 'enum':
      return renderEnum(schema, namespace, context);
    case 'array': {
      const items = renderSchema(schema.items, namespace, context);
      return items.includes(' ') ? `(${items})[]` : `${items}[]`;
    }
    case 'map':
      return `Record<string, ${renderSchema(schema.values, namespace, context)}>`;
    case 'fixed':
      return defineName(schema, namespace, context, 'Buffer').tsName;
    default:
      // A primitive written as an object, possibly with a logical type: avsc (without logical
      // type implementations) reads and writes the underlying type.
      if (typeof type === 'string' && PRIMITIVES[type]) return PRIMITIVES[type];
      throw new Error(`unsupported schema ${JSON.stringify(schema)}`);
  }
}

function renderUnion(branches: readonly unknown[], namespace: string | undefined, context: Context): string {
  const others = branches.filter((branch) => branch !== 'null');
  // avsc reads ["null", T] as T | null; wider unions are wrapped or ambiguous, so say so here.
  if (branches.length !== 2 || others.length !== 1) {
    throw new Error(`unsupported union ${JSON.stringify(branches)}: only ["null", T] is supported`);
  }
  return `${renderSchema(others[0], namespace, context)} | null`;
}

function renderRecord(
  schema: Record<string, unknown>,
  namespace: string | undefined,
  context: Context,
): string {
  const named = defineName(schema, namespace, context);
  // Reserved before the fields are walked, so that a record comes before the types it contains.
  const declaration: Declaration = { name: named.tsName, text: '' };
  context.declarations.push(declaration);
  const fields = Array.isArray(schema.fields) ? (schema.fields as unknown[]) : [];
  const lines = fields.map((field) => {
    if (!isObject(field) || typeof field.name !== 'string') throw new Error('a field has no name');
    const type = renderSchema(field.type, named.namespace, context);
    return `${docComment(field.doc, '  ')}  ${field.name}: ${type};`;
  });
  declaration.text =
    lines.length === 0
      ? `${docComment(schema.doc, '')}export type ${named.tsName} = Record<string, never>;`
      : [`${docComment(schema.doc, '')}export interface ${named.tsName} {`, ...lines, '}'].join('\n');
  return named.tsName;
}

function renderEnum(
  schema: Record<string, unknown>,
  namespace: string | undefined,
  context: Context,
): string {
  const named = defineName(schema, namespace, context);
  const symbols = Array.isArray(schema.symbols) ? schema.symbols.map((symbol) => `'${String(symbol)}'`) : [];
  const head = `${docComment(schema.doc, '')}export type ${named.tsName} =`;
  const line = `export type ${named.tsName} = ${symbols.join(' | ')};`;
  // Prettier's layout: one line when it fits, otherwise one `| 'SYMBOL'` per line.
  const text =
    line.length <= PRINT_WIDTH
      ? `${docComment(schema.doc, '')}${line}`
      : [head, ...symbols.map((symbol, i) => `  | ${symbol}${i === symbols.length - 1 ? ';' : ''}`)].join(
          '\n',
        );
  context.declarations.push({ name: named.tsName, text });
  return named.tsName;
}

/** Registers a named type; its TypeScript name is its short name plus the file's version. */
function defineName(
  schema: Record<string, unknown>,
  namespace: string | undefined,
  context: Context,
  tsName?: string,
): { tsName: string; namespace: string | undefined } {
  if (typeof schema.name !== 'string') throw new Error('a named type has no name');
  const ownNamespace = typeof schema.namespace === 'string' ? schema.namespace : namespace;
  const full = fullName(schema.name, ownNamespace);
  const name = tsName ?? `${full.slice(full.lastIndexOf('.') + 1)}V${context.version}`;
  context.names.set(full, name);
  const lastDot = full.lastIndexOf('.');
  return { tsName: name, namespace: lastDot === -1 ? undefined : full.slice(0, lastDot) };
}

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** Each declaration once; two different types that would share a TypeScript name are an error. */
function uniqueDeclarations(declarations: readonly Declaration[]): string[] {
  const seen = new Map<string, string>();
  for (const { name, text } of declarations) {
    const earlier = seen.get(name);
    if (earlier !== undefined && earlier !== text) {
      throw new Error(`two different schemas define ${name}; rename one of the Avro types`);
    }
    seen.set(name, text);
  }
  return [...seen.values()];
}

function docComment(doc: unknown, indent: string): string {
  if (typeof doc !== 'string' || doc.trim() === '') return '';
  const lines = doc.trim().replaceAll('*/', '*\\/').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0] ?? ''} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line.trim()}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** `open item, item close` on one line when it fits, otherwise one item per line (as Prettier). */
function wrapped(open: string, items: readonly string[], close: string): string[] {
  const line = `${open}${items.join(', ')}${close}`;
  if (line.length <= PRINT_WIDTH) return [line];
  return [open, ...items.map((item) => `  ${item},`), close];
}

function byEventTypeAndVersion(a: SchemaFile, b: SchemaFile): number {
  if (a.eventType !== b.eventType) return a.eventType < b.eventType ? -1 : 1;
  return a.version - b.version;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
