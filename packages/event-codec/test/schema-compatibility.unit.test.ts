import type { Schema } from 'avsc';
import { checkSchemaCompatibility, resolutionProblems } from '@cqrs-shop/event-codec';
import type { VersionedSchema } from '@cqrs-shop/event-codec';

const record = (name: string, fields: unknown[], extra: object = {}): Schema =>
  ({ type: 'record', name, namespace: 'shop.events', fields, ...extra }) as Schema;

const field = (name: string, type: unknown, extra: object = {}) => ({ name, type, ...extra });

/** The Thing event in the given versions, v1 first. */
const thing = (...schemas: Schema[]): VersionedSchema[] =>
  schemas.map((schema, index) => ({ eventType: 'Thing', version: index + 1, schema }));

/** Every problem's message, in the order found. */
const messages = (schemas: VersionedSchema[]) =>
  checkSchemaCompatibility(schemas).flatMap(({ problems }) => problems.map((problem) => problem.message));

const LINE_FIELDS = [field('sku', 'string'), field('quantity', 'int')];
const LINE = record('OrderLine', LINE_FIELDS);
const order = (line: Schema = LINE, extra: unknown[] = []) =>
  record('Order', [field('orderId', 'string'), field('lines', { type: 'array', items: line }), ...extra]);

describe('checkSchemaCompatibility', () => {
  it('accepts a field added with a default, both ways', () => {
    const v1 = record('Thing', [field('id', 'string')]);
    const v2 = record('Thing', [field('id', 'string'), field('note', ['null', 'string'], { default: null })]);
    expect(checkSchemaCompatibility(thing(v1, v2))).toEqual([
      { eventType: 'Thing', versions: [1, 2], problems: [] },
    ]);
  });

  it('refuses a field added without a default: the new version cannot read old data (backward)', () => {
    const v1 = record('Thing', [field('id', 'string')]);
    const v2 = record('Thing', [field('id', 'string'), field('count', 'int')]);
    const [verdict] = checkSchemaCompatibility(thing(v1, v2));
    expect(verdict?.problems).toEqual([
      {
        eventType: 'Thing',
        readerVersion: 2,
        writerVersion: 1,
        direction: 'backward',
        path: 'count',
        reason: "the writer has no such field and the reader's has no default",
        foundBy: 'rules',
        message:
          "Thing v2 cannot read v1 (backward): field count: the writer has no such field and the reader's has no default",
      },
    ]);
  });

  it('refuses a field removed that had no default: old readers need it (forward)', () => {
    const v1 = record('Thing', [field('id', 'string'), field('legacyCode', 'string')]);
    const v2 = record('Thing', [field('id', 'string')]);
    expect(messages(thing(v1, v2))).toEqual([
      "Thing v1 cannot read v2 (forward): field legacyCode: the writer has no such field and the reader's has no default",
    ]);
  });

  it('accepts a field removed that had a default', () => {
    const v1 = record('Thing', [field('id', 'string'), field('legacyCode', 'string', { default: '' })]);
    const v2 = record('Thing', [field('id', 'string')]);
    expect(messages(thing(v1, v2))).toEqual([]);
  });

  it('refuses narrowing a type, and widening it only forward', () => {
    const long = record('Thing', [field('total', 'long')]);
    const int = record('Thing', [field('total', 'int')]);
    expect(messages(thing(long, int))).toEqual([
      'Thing v2 cannot read v1 (backward): field total: long cannot be read as int',
    ]);
    expect(messages(thing(int, long))).toEqual([
      'Thing v1 cannot read v2 (forward): field total: long cannot be read as int',
    ]);
  });

  it('names the path of a nested record in an array', () => {
    const narrowed = record('OrderLine', [field('sku', 'string'), field('quantity', 'long')]);
    expect(
      messages([
        { eventType: 'Order', version: 2, schema: order(narrowed) },
        { eventType: 'Order', version: 3, schema: order() },
      ]),
    ).toEqual(['Order v3 cannot read v2 (backward): field lines[].quantity: long cannot be read as int']);
  });

  it('compares every version with all earlier ones, not only the one before', () => {
    // v2 adds a field with a default; v3 drops the default: v3 still reads v2, but not v1.
    const v1 = record('Thing', [field('id', 'string')]);
    const v2 = record('Thing', [field('id', 'string'), field('size', 'int', { default: 0 })]);
    const v3 = record('Thing', [field('id', 'string'), field('size', 'int')]);
    expect(messages(thing(v1, v2, v3))).toEqual([
      "Thing v3 cannot read v1 (backward): field size: the writer has no such field and the reader's has no default",
    ]);
  });

  it('accepts a field renamed with the old name as an alias backward, but not forward', () => {
    const v1 = record('Thing', [field('name', 'string')]);
    const v2 = record('Thing', [field('displayName', 'string', { aliases: ['name'] })]);
    expect(messages(thing(v1, v2))).toEqual([
      "Thing v1 cannot read v2 (forward): field name: the writer has no such field and the reader's has no default",
    ]);
  });

  it('refuses a field renamed without an alias, naming the aliases it looked for', () => {
    const v1 = record('Thing', [field('name', 'string')]);
    const v2 = record('Thing', [field('fullName', 'string', { aliases: ['label'] })]);
    expect(messages(thing(v1, v2))).toContain(
      "Thing v2 cannot read v1 (backward): field fullName: the writer has no such field (nor label) and the reader's has no default",
    );
  });

  it('accepts a record renamed with an alias backward, and says which name an old reader misses', () => {
    const renamed = record('OrderItem', LINE_FIELDS, { aliases: ['OrderLine'] });
    expect(
      messages([
        { eventType: 'Order', version: 1, schema: order() },
        { eventType: 'Order', version: 2, schema: order(renamed) },
      ]),
    ).toEqual([
      'Order v1 cannot read v2 (forward): field lines[]: record shop.events.OrderItem cannot be read as ' +
        'record shop.events.OrderLine: the names differ and the reader has no alias shop.events.OrderItem',
    ]);
  });

  it('refuses an enum symbol removed while the new enum has no default (backward)', () => {
    const v1 = record('Thing', [
      field('colour', { type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN', 'BLUE'] }),
    ]);
    const v2 = record('Thing', [
      field('colour', { type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN'] }),
    ]);
    expect(messages(thing(v1, v2))).toEqual([
      "Thing v2 cannot read v1 (backward): field colour: enum shop.events.Colour: the writer's symbol BLUE " +
        "is not in the reader's enum, which has no default",
    ]);
  });

  it('accepts an enum symbol removed or added when the reading enum has a default', () => {
    const colour = (symbols: string[]) =>
      record('Thing', [field('colour', { type: 'enum', name: 'Colour', symbols, default: 'OTHER' })]);
    expect(messages(thing(colour(['RED', 'BLUE', 'OTHER']), colour(['RED', 'OTHER'])))).toEqual([]);
    expect(messages(thing(colour(['RED', 'OTHER']), colour(['RED', 'GREEN', 'OTHER'])))).toEqual([]);
  });

  it('refuses enum symbols added while old readers have no default (forward)', () => {
    const colour = (symbols: string[]) =>
      record('Thing', [field('colour', { type: 'enum', name: 'Colour', symbols })]);
    expect(messages(thing(colour(['RED']), colour(['RED', 'GREEN', 'BLUE'])))).toEqual([
      "Thing v1 cannot read v2 (forward): field colour: enum shop.events.Colour: the writer's symbols GREEN, BLUE " +
        "are not in the reader's enum, which has no default",
    ]);
  });

  it('refuses a union narrowed to one of its branches backward, and a branch added forward', () => {
    const nullable = record('Thing', [field('refund', ['null', 'long'], { default: null })]);
    const required = record('Thing', [field('refund', 'long')]);
    const wider = record('Thing', [field('refund', ['null', 'long', 'string'], { default: null })]);
    expect(messages(thing(nullable, required))).toEqual([
      'Thing v2 cannot read v1 (backward): field refund: null cannot be read as long',
    ]);
    expect(messages(thing(nullable, wider))).toEqual([
      'Thing v1 cannot read v2 (forward): field refund: string cannot be read as any branch of union [null, long]',
    ]);
  });

  it('accepts a type made nullable backward and a branch read through a promotion', () => {
    const plain = record('Thing', [field('count', 'int')]);
    const nullable = record('Thing', [field('count', ['null', 'long'], { default: null })]);
    expect(messages(thing(plain, nullable))).toEqual([
      'Thing v1 cannot read v2 (forward): field count: null cannot be read as int',
      'Thing v1 cannot read v2 (forward): field count: long cannot be read as int',
    ]);
  });

  it('tells what is wrong inside a record that a union holds', () => {
    const v1 = record('Thing', [field('spare', ['null', LINE], { default: null })]);
    const line = record('OrderLine', [...LINE_FIELDS, field('discount', 'int')]);
    const v2 = record('Thing', [field('spare', ['null', line], { default: null })]);
    expect(messages(thing(v1, v2))).toEqual([
      "Thing v2 cannot read v1 (backward): field spare.discount: the writer has no such field and the reader's has no default",
    ]);
  });

  it('cross-checks with avsc: a namespace change its resolver refuses is reported although the rules allow it', () => {
    const inNamespace = (namespace: string) =>
      record('Thing', [
        field('line', { type: 'record', name: 'Line', namespace, fields: [field('sku', 'string')] }),
      ]);
    const [verdict] = checkSchemaCompatibility(thing(inNamespace('shop.orders'), inNamespace('shop.sales')));
    expect(verdict?.problems.map(({ foundBy, direction, path }) => ({ foundBy, direction, path }))).toEqual([
      { foundBy: 'avsc', direction: 'backward', path: '' },
      { foundBy: 'avsc', direction: 'forward', path: '' },
    ]);
    expect(verdict?.problems[0]?.message).toMatch(
      /^Thing v2 cannot read v1 \(backward\): avsc refuses it although the resolution rules allow it: .*shop\.orders\.Line/,
    );
  });

  it('judges each event type alone, in alphabetical order, with its versions ascending', () => {
    const v1 = record('Thing', [field('id', 'string')]);
    const other = record('Other', [field('id', 'string')]);
    expect(
      checkSchemaCompatibility([
        { eventType: 'Thing', version: 2, schema: v1 },
        { eventType: 'Other', version: 1, schema: other },
        {
          eventType: 'Thing',
          version: 1,
          schema: record('Thing', [field('id', 'string'), field('x', 'int')]),
        },
      ]).map(({ eventType, versions, problems }) => [eventType, versions, problems.length]),
    ).toEqual([
      ['Other', [1], 0],
      ['Thing', [1, 2], 1],
    ]);
  });

  it('refuses to judge a schema that is not valid Avro, naming its file', () => {
    expect(() => checkSchemaCompatibility(thing(record('Thing', [field('x', 'decimal')])))).toThrow(
      /^Thing\.v1\.avsc is not a valid Avro schema: /,
    );
  });

  it('refuses a version given twice', () => {
    const v1 = record('Thing', [field('id', 'string')]);
    expect(() => checkSchemaCompatibility([...thing(v1), ...thing(v1)])).toThrow(
      'Thing.v1.avsc is given twice',
    );
  });
});

describe('resolutionProblems', () => {
  const reasons = (reader: Schema, writer: Schema) => resolutionProblems(reader, writer).map((p) => p.reason);

  it.each([
    ['int', 'long'],
    ['int', 'float'],
    ['int', 'double'],
    ['long', 'float'],
    ['long', 'double'],
    ['float', 'double'],
    ['string', 'bytes'],
    ['bytes', 'string'],
  ])('promotes %s to %s', (writer, reader) => {
    expect(reasons(reader as Schema, writer as Schema)).toEqual([]);
  });

  it.each([
    ['long', 'int'],
    ['double', 'float'],
    ['float', 'long'],
    ['string', 'int'],
    ['boolean', 'int'],
    ['null', 'string'],
  ])('does not read %s as %s', (writer, reader) => {
    expect(reasons(reader as Schema, writer as Schema)).toEqual([`${writer} cannot be read as ${reader}`]);
  });

  it('reads a logical type as its underlying type', () => {
    expect(reasons('string', { type: 'string', logicalType: 'uuid' })).toEqual([]);
  });

  it('matches arrays by items and maps by values, naming where', () => {
    const ints = { type: 'array', items: 'int' } as Schema;
    const map = (values: string) => ({ type: 'map', values }) as Schema;
    expect(reasons(map('int'), ints)).toEqual(['array<int> cannot be read as map<int>']);
    expect(
      resolutionProblems(record('T', [field('m', map('int'))]), record('T', [field('m', map('long'))])),
    ).toEqual([{ path: 'm{}', reason: 'long cannot be read as int' }]);
  });

  it('matches fixed types by name and size', () => {
    const fixed = (size: number) => ({ type: 'fixed', name: 'Hash', size }) as Schema;
    expect(reasons(fixed(16), fixed(16))).toEqual([]);
    expect(reasons(fixed(16), fixed(8))).toEqual(['fixed Hash of 8 bytes cannot be read as 16 bytes']);
  });

  it('refuses a reader field that matches two writer fields by name and alias', () => {
    const reader = record('T', [field('name', 'string', { aliases: ['label'] })]);
    const writer = record('T', [field('name', 'string'), field('label', 'string')]);
    expect(resolutionProblems(reader, writer)).toEqual([
      { path: 'name', reason: "matches several of the writer's fields by name or alias (name, label)" },
    ]);
  });

  it('ends on a recursive record', () => {
    const list = (extra: unknown[] = []) =>
      record('Node', [field('value', 'int'), field('next', ['null', 'Node'], { default: null }), ...extra]);
    expect(reasons(list([field('label', 'string', { default: '' })]), list())).toEqual([]);
    // The nested Node is the same pair again: judged once, where it first appears.
    expect(resolutionProblems(list([field('label', 'string')]), list())).toEqual([
      { path: 'label', reason: "the writer has no such field and the reader's has no default" },
    ]);
  });
});
