import { createHmac, randomBytes } from 'node:crypto';
import { ConsistencyTokens } from '@cqrs-shop/events';

describe('consistency tokens', () => {
  const point = {
    aggregateType: 'order',
    aggregateId: '0b6a7c1e-1d2f-4c1a-9a55-2f3c4d5e6f70',
    version: 3,
  } as const;
  const key = randomBytes(32);
  const tokens = new ConsistencyTokens({ current: key });
  /** A token of the current format, its payload written by hand and signed with `with`. */
  const signed = (payload: string, withKey = key) => {
    const encoded = Buffer.from(payload).toString('base64url');
    return `${encoded}.${createHmac('sha256', withKey).update(encoded).digest().subarray(0, 16).toString('base64url')}`;
  };

  it('round-trips the aggregate and version it was made for', () => {
    expect(tokens.decode(tokens.encode(point))).toEqual(point);
  });

  it('is opaque: URL-safe characters only', () => {
    expect(tokens.encode(point)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a token altered, signed with another key, or without a signature', () => {
    const genuine = tokens.encode(point);
    const [payload = '', mac = ''] = genuine.split('.');
    const bumped = Buffer.from(Buffer.from(payload, 'base64url').toString().replace(':3', ':9')).toString(
      'base64url',
    );
    expect(tokens.decode(`${bumped}.${mac}`)).toBeUndefined();
    expect(tokens.decode(signed(`v2:order:${point.aggregateId}:3`, randomBytes(32)))).toBeUndefined();
    expect(tokens.decode(payload)).toBeUndefined();
    expect(
      tokens.decode(Buffer.from(`v1:order:${point.aggregateId}:3`).toString('base64url')),
    ).toBeUndefined();
  });

  it('accepts tokens of the previous key during a rotation, and signs with the current one', () => {
    const next = randomBytes(32);
    const rotated = new ConsistencyTokens({ current: next, previous: key });
    expect(rotated.decode(tokens.encode(point))).toEqual(point);
    expect(tokens.decode(rotated.encode(point))).toBeUndefined();
    expect(new ConsistencyTokens({ current: next }).decode(tokens.encode(point))).toBeUndefined();
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new ConsistencyTokens({ current: randomBytes(16) })).toThrow(RangeError);
  });

  it.each([
    ['', 'empty'],
    ['not a token', 'spaces'],
    [signed('v1:order:x:1'), 'unknown format'],
    [signed('v2:invoice:x:1'), 'unknown aggregate type'],
    [signed('v2:order:x:0'), 'version 0'],
    [signed('v2:order:x:1:extra'), 'extra parts'],
    [`${'a'.repeat(300)}.${'b'.repeat(22)}`, 'too long'],
  ])('rejects %j (%s), signed or not', (token) => {
    expect(tokens.decode(token)).toBeUndefined();
  });
});
