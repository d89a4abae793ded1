import type { Redis } from 'ioredis';
import { analyticsKeys, analyticsVersionKeys } from './layout.js';
import { assertVersion, type VersionCatalog, type VersionRecord } from '../versions.js';
import { unlinkMatching } from '../redis-keys.js';

/** Moves the pointer only if it still holds the expected version ('' for none). */
const SWITCH_SCRIPT = `
local live = redis.call('GET', KEYS[1])
if (live or '') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

/** Analytics versions: the pointer is one key, the records one hash, beside the counters. */
export class AnalyticsVersions implements VersionCatalog {
  private readonly keys: ReturnType<typeof analyticsVersionKeys>;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    this.keys = analyticsVersionKeys(keyPrefix);
  }

  async liveVersion(): Promise<number | null> {
    const live = await this.redis.get(this.keys.live);
    return live === null ? null : Number(live);
  }

  async records(): Promise<VersionRecord[]> {
    const all = await this.redis.hgetall(this.keys.versions);
    return Object.values(all)
      .map((json) => JSON.parse(json) as VersionRecord)
      .sort((a, b) => a.version - b.version);
  }

  async save(record: VersionRecord): Promise<void> {
    assertVersion(record.version);
    await this.redis.hset(this.keys.versions, String(record.version), JSON.stringify(record));
  }

  /** Keys come into being with their first write; there is nothing to prepare. */
  async create(version: number): Promise<void> {
    assertVersion(version);
    await Promise.resolve();
  }

  async switchLive(version: number, expected: number | null): Promise<boolean> {
    assertVersion(version);
    const switched = await this.redis.eval(
      SWITCH_SCRIPT,
      1,
      this.keys.live,
      String(version),
      expected === null ? '' : String(expected),
    );
    return switched === 1;
  }

  /** Every write is visible to reads at once. */
  async settle(version: number): Promise<void> {
    assertVersion(version);
    await Promise.resolve();
  }

  async drop(version: number): Promise<void> {
    assertVersion(version);
    if ((await this.liveVersion()) === version)
      throw new Error(`analytics version ${version} is live and cannot be dropped`);
    // A version holds a key per order.
    await unlinkMatching(this.redis, analyticsKeys(this.keyPrefix, version).pattern);
    await this.redis.hdel(this.keys.versions, String(version));
  }
}
