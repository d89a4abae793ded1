import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMAS_DIR } from '@cqrs-shop/event-codec';

// scripts/ holds ES modules (Node runs them as they are); this CommonJS test reaches them with import().
const loadGenerator = () => import('../scripts/render-types.js');
let generator: Awaited<ReturnType<typeof loadGenerator>>;
beforeAll(async () => {
  generator = await loadGenerator();
});

// The types are the contract's (packages/events); the schemas they come from are this package's.
const GENERATED_FILE = path.join(__dirname, '..', '..', 'events', 'src', 'generated', 'event-types.ts');

const record = (name: string, fields: unknown[], extra: object = {}) => ({
  type: 'record',
  name,
  namespace: 'shop.events',
  fields,
  ...extra,
});

describe('generated event types', () => {
  it('are up to date with the schemas (else run: node packages/event-codec/scripts/generate-types.ts)', () => {
    const rendered = generator.renderTypes(generator.readSchemaFiles(SCHEMAS_DIR));
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(rendered);
  });

  it('render nested records, enums, nullable unions, arrays, maps and docs', () => {
    const schema = record(
      'Thing',
      [
        { name: 'id', type: { type: 'string', logicalType: 'uuid' }, doc: 'The id.' },
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'count', type: 'long' },
        { name: 'parts', type: { type: 'array', items: record('Part', [{ name: 'size', type: 'int' }]) } },
        { name: 'spare', type: ['null', 'Part'], default: null },
        { name: 'state', type: { type: 'enum', name: 'State', symbols: ['ON', 'OFF'] } },
        { name: 'tags', type: { type: 'map', values: ['null', 'boolean'] } },
        { name: 'scores', type: { type: 'array', items: ['null', 'double'] } },
      ],
      { doc: 'A thing.' },
    );
    const output = generator.renderTypes([{ eventType: 'Thing', version: 3, schema }]);
    expect(output).toContain(
      [
        '/** A thing. */',
        'export interface ThingV3 {',
        '  /** The id. */',
        '  id: string;',
        '  note: string | null;',
        '  count: number;',
        '  parts: PartV3[];',
        '  spare: PartV3 | null;',
        '  state: StateV3;',
        '  tags: Record<string, boolean | null>;',
        '  scores: (number | null)[];',
        '}',
        '',
        'export interface PartV3 {',
        '  size: number;',
        '}',
        '',
        "export type StateV3 = 'ON' | 'OFF';",
      ].join('\n'),
    );
  });

  it('map each event type to its latest version and list the event types', () => {
    const output = generator.renderTypes([
      { eventType: 'Thing', version: 2, schema: record('Thing', [{ name: 'b', type: 'int' }]) },
      { eventType: 'Thing', version: 1, schema: record('Thing', [{ name: 'a', type: 'int' }]) },
    ]);
    expect(output).toContain('export interface ThingV1 {');
    expect(output).toContain('export interface EventPayloads {\n  Thing: ThingV2;\n}');
    expect(output).toContain("export const EVENT_TYPES = ['Thing'] as const;");
    expect(output).toContain('export type EventType = keyof EventPayloads;');
    expect(output).toMatch(/^\/\/ Generated .*\n\/\/ Do not edit/);
  });

  it.each([
    [
      'a union the generator cannot type',
      record('Thing', [{ name: 'x', type: ['int', 'string'] }]),
      'unsupported union',
    ],
    ['a record named otherwise', record('Other', []), 'must define a record named Thing'],
    ['an invalid Avro schema', record('Thing', [{ name: 'x', type: 'decimal' }]), 'Thing.v1.avsc:'],
  ])('refuse %s', (_, schema, message) => {
    expect(() => generator.renderTypes([{ eventType: 'Thing', version: 1, schema }])).toThrow(message);
  });
});
