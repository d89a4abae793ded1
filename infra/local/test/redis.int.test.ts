import { uniqueName } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';

describe('Redis (ioredis against the local server)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? '', { keyPrefix: `${uniqueName('smoke')}:` });

  afterAll(async () => {
    const keys = await redis.keys(`${redis.options.keyPrefix ?? ''}*`);
    const prefix = redis.options.keyPrefix ?? '';
    if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
    redis.disconnect();
  });

  it('runs a pipeline of commands in one round trip', async () => {
    const results = await redis
      .pipeline()
      .incrby('orders:placed', 3)
      .hincrby('orders:by-status', 'PLACED', 2)
      .zincrby('products:units', 5, 'p1')
      .zincrby('products:units', 7, 'p2')
      .zrevrange('products:units', 0, 0)
      .exec();
    expect(results?.map(([error]) => error)).toEqual([null, null, null, null, null]);
    expect(results?.[4]?.[1]).toEqual(['p2']);
  });

  it('runs a Lua script atomically: apply a change only when its version is newer', async () => {
    // KEYS[1] version key, KEYS[2] counter; ARGV[1] version, ARGV[2] increment.
    redis.defineCommand('applyIfNewer', {
      numberOfKeys: 2,
      lua: `
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) <= current then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('INCRBY', KEYS[2], ARGV[2])
        return 1`,
    });
    const apply = (version: number, amount: number) =>
      (redis as unknown as { applyIfNewer: (...args: unknown[]) => Promise<number> }).applyIfNewer(
        'order:o1:version',
        'revenue',
        version,
        amount,
      );
    expect(await apply(1, 100)).toBe(1);
    expect(await apply(1, 100)).toBe(0);
    expect(await apply(2, 50)).toBe(1);
    expect(await redis.get('revenue')).toBe('150');
  });
});
