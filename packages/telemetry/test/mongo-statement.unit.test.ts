import { mongoStatementShape } from '../src/sdk.js';

describe('mongoStatementShape', () => {
  it('keeps a query’s fields and operators, not its values', () => {
    expect(mongoStatementShape({ find: 'orders', filter: { _id: { $in: ['a', 'b'] }, version: 3 } })).toBe(
      '{"find":"?","filter":{"_id":{"$in":"[2]"},"version":"?"}}',
    );
  });

  it('counts the documents of a bulk write instead of walking them', () => {
    const documents = Array.from({ length: 1_000 }, (_, i) => ({ _id: `order-${i}`, lines: [{ sku: 'x' }] }));
    expect(mongoStatementShape({ insert: 'orders', documents, ordered: false })).toBe(
      '{"insert":"?","documents":"[1000]","ordered":"?"}',
    );
  });

  it('stops three levels down', () => {
    expect(mongoStatementShape({ a: { b: { c: { d: 1 } } } })).toBe('{"a":{"b":{"c":"{…}"}}}');
  });
});
