import { mongoStatementShape, redisStatement } from '../src/sdk.js';

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

describe('redisStatement', () => {
  it('names an EVAL’s first key and counts the rest, without the script or its arguments', () => {
    expect(redisStatement('eval', ['return 1', 3, 'shop:a', 'shop:b', 'shop:c', '{"orders":[]}'])).toBe(
      'EVAL <script> 3 shop:a [2 more keys]',
    );
    expect(redisStatement('evalsha', ['0123abcd', 1, 'shop:a', 'secret'])).toBe('EVALSHA 0123abcd 1 shop:a');
  });

  it('keeps a command’s key and counts its values', () => {
    expect(redisStatement('hset', ['shop:order:1', 'snapshot', '{"email":"a@example.com"}'])).toBe(
      'HSET shop:order:1 [2 more arguments]',
    );
    expect(redisStatement('ping', [])).toBe('PING');
  });
});
