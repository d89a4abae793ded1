import { AnalyticsVersions } from '@cqrs-shop/read-models';
import { ensureLiveVersion } from '@cqrs-shop/projector';
import { uniqueName } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';

describe('the live version at a projector start (real Redis catalog)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  const freshCatalog = () => {
    const prefix = `${uniqueName('live')}:`;
    prefixes.push(prefix);
    return new AnalyticsVersions(redis, prefix);
  };

  it('makes version 1 live with the projector’s group at the very first start', async () => {
    const catalog = freshCatalog();
    expect(await ensureLiveVersion(catalog, 'group-a')).toBe(1);
    expect(await catalog.records()).toMatchObject([{ version: 1, state: 'live', groupId: 'group-a' }]);
  });

  it('writes the record again of a live version that lost it, with a group that cannot skip events', async () => {
    const catalog = freshCatalog();
    await catalog.create(1);
    expect(await catalog.switchLive(1, null)).toBe(true);
    expect(await ensureLiveVersion(catalog, 'group-a')).toBe(1);
    expect(await catalog.records()).toMatchObject([{ version: 1, state: 'live', groupId: 'group-a' }]);

    // A later version's group is not known: a new one, read from the beginning.
    await catalog.create(2);
    expect(await catalog.switchLive(2, 1)).toBe(true);
    expect(await ensureLiveVersion(catalog, 'group-a')).toBe(2);
    const second = (await catalog.records()).find((record) => record.version === 2);
    expect(second?.groupId).toMatch(/^group-a\.v2\.recovered-\d+$/);
    expect(second?.note).toMatch(/record was missing/);
  });
});
