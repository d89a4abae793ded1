import { consistencyToken } from '@cqrs-shop/events';

describe('consistency tokens', () => {
  const point = {
    aggregateType: 'order',
    aggregateId: '0b6a7c1e-1d2f-4c1a-9a55-2f3c4d5e6f70',
    version: 3,
  } as const;

  it('round-trips the aggregate and version it was made for', () => {
    expect(consistencyToken.decode(consistencyToken.encode(point))).toEqual(point);
  });

  it('is opaque: URL-safe characters only', () => {
    expect(consistencyToken.encode(point)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['', 'empty'],
    ['not a token', 'spaces'],
    [Buffer.from('v2:order:x:1').toString('base64url'), 'unknown format'],
    [Buffer.from('v1:invoice:x:1').toString('base64url'), 'unknown aggregate type'],
    [Buffer.from('v1:order:x:0').toString('base64url'), 'version 0'],
    [Buffer.from('v1:order:x:1:extra').toString('base64url'), 'extra parts'],
    ['a'.repeat(300), 'too long'],
  ])('rejects %j (%s)', (token) => {
    expect(consistencyToken.decode(token)).toBeUndefined();
  });
});
