import { isWriteModelUnavailable } from '../src/adapters/mysql/transactions.js';

describe('isWriteModelUnavailable', () => {
  it('recognises a database that cannot be reached or went away', () => {
    for (const code of ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ER_SERVER_SHUTDOWN'])
      expect([code, isWriteModelUnavailable(Object.assign(new Error(code), { code }))]).toEqual([code, true]);
    expect(isWriteModelUnavailable(Object.assign(new Error('closed'), { fatal: true }))).toBe(true);
  });

  it('leaves every other failure alone: a duplicate key or a deadlock is not an outage', () => {
    expect(
      isWriteModelUnavailable(Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY', errno: 1062 })),
    ).toBe(false);
    expect(
      isWriteModelUnavailable(
        Object.assign(new Error('deadlock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 }),
      ),
    ).toBe(false);
    expect(isWriteModelUnavailable(new Error('anything'))).toBe(false);
    expect(isWriteModelUnavailable(undefined)).toBe(false);
  });
});
