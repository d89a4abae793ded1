import { canRetry, isTransientStoreError, ShopError } from '@cqrs-shop/errors';

const error = (fields: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), fields);

describe('isTransientStoreError', () => {
  it('recognises a store that is away or overloaded for now, from any of the three clients', () => {
    const transient = [
      error({ name: 'MongoServerSelectionError' }),
      error({ code: 10107 }, 'not writable primary'),
      error({ errorLabels: ['RetryableWriteError'] }),
      error({ code: 1 }, 'failed to connect to `user=ferretdb database=ferretdb`: connection refused'),
      error({ name: 'ConnectionError' }),
      error({ name: 'ResponseError', meta: { statusCode: 429 } }),
      error({ name: 'ResponseError', meta: { statusCode: 503 } }),
      error({}, 'BUSY Redis is busy running a script'),
      error({}, 'READONLY You cannot write against a read only replica.'),
      error({}, 'OOM command not allowed when used memory > maxmemory.'),
      error({}, 'Connection is closed.'),
      error({ code: 'ECONNREFUSED' }),
    ];
    expect(transient.filter((e) => !isTransientStoreError(e)).map((e) => e.message)).toEqual([]);
  });

  it('leaves alone what says the change itself is wrong', () => {
    const lasting = [
      error({ code: 11000 }, 'E11000 duplicate key error'),
      error({ name: 'ResponseError', meta: { statusCode: 400 } }, 'mapper_parsing_exception'),
      error({}, 'WRONGTYPE Operation against a key holding the wrong kind of value'),
      error({}, 'ERR increment or decrement would overflow'),
      new Error('defect'),
    ];
    expect(lasting.filter((e) => isTransientStoreError(e)).map((e) => e.message)).toEqual([]);
    expect(isTransientStoreError(undefined)).toBe(false);
  });
});

describe('canRetry', () => {
  it('takes a ShopError at its word, whatever its shape says', () => {
    expect(canRetry(new ShopError('store.unavailable', 'away', { canRetry: true }))).toBe(true);
    expect(canRetry(new ShopError('domain.not-found', 'no such order'))).toBe(false);
    expect(
      canRetry(Object.assign(new ShopError('event.corrupt-body', 'bad bytes'), { code: 'ECONNRESET' })),
    ).toBe(false);
  });

  it("retries a client library's retriable errors and stores that are away, and nothing else", () => {
    expect(canRetry(Object.assign(new Error('leader moved'), { retriable: true }))).toBe(true);
    expect(canRetry(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(canRetry(new Error('bad document'))).toBe(false);
    expect(canRetry('a string')).toBe(false);
    expect(canRetry(undefined)).toBe(false);
  });
});
