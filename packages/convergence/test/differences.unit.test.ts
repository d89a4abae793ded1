import { diffValues, extraDifference, fieldDifferences, missingDifference } from '../src/differences.js';

describe('diffValues', () => {
  it('finds nothing when every expected field is equal, ignoring fields only the actual value has', () => {
    expect(
      diffValues(
        { a: 1, b: { c: 'x', d: [1, 2] }, e: null },
        { a: 1, b: { c: 'x', d: [1, 2] }, e: null, f: 9 },
      ),
    ).toEqual([]);
  });

  it('names each differing leaf by its path', () => {
    expect(
      diffValues(
        { status: 'PAID', customer: { email: 'a@x' }, lines: [{ quantity: 2 }, { quantity: 1 }] },
        { status: 'PLACED', customer: { email: 'b@x' }, lines: [{ quantity: 2 }, { quantity: 3 }] },
      ),
    ).toEqual([
      { field: 'status', expected: 'PAID', actual: 'PLACED' },
      { field: 'customer.email', expected: 'a@x', actual: 'b@x' },
      { field: 'lines[1].quantity', expected: 1, actual: 3 },
    ]);
  });

  it('reports an array of another length, or a null where an object belongs, as a whole', () => {
    expect(diffValues({ skus: ['A', 'B'] }, { skus: ['A'] })).toEqual([
      { field: 'skus', expected: ['A', 'B'], actual: ['A'] },
    ]);
    expect(diffValues({ customer: { name: 'Ada' } }, { customer: null })).toEqual([
      { field: 'customer', expected: { name: 'Ada' }, actual: null },
    ]);
  });

  it('tells an absent field from a null one, and a number from its text', () => {
    expect(diffValues({ refundCents: null }, {})).toEqual([
      { field: 'refundCents', expected: null, actual: undefined },
    ]);
    expect(diffValues({ version: 2 }, { version: '2' })).toEqual([
      { field: 'version', expected: 2, actual: '2' },
    ]);
  });
});

describe('differences in a read model', () => {
  it('places field differences, and calls a stored value that is no document "(document)"', () => {
    expect(fieldDifferences('analytics', 'order:1', { version: 2 }, 'not json')).toEqual([
      {
        kind: 'field',
        readModel: 'analytics',
        aggregate: 'order:1',
        field: '(document)',
        expected: { version: 2 },
        actual: 'not json',
      },
    ]);
  });

  it('gives missing and extra aggregates the version each side holds', () => {
    expect(missingDifference('search', 'product:9', 4)).toEqual({
      kind: 'missing',
      readModel: 'search',
      aggregate: 'product:9',
      field: 'version',
      expected: 4,
      actual: null,
    });
    expect(extraDifference('order-history', 'order:7', undefined)).toMatchObject({
      kind: 'extra',
      expected: null,
      actual: null,
    });
  });
});
