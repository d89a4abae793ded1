import type { Redis } from 'ioredis';
import { analyticsKeys, analyticsTargetKeys } from '../layout.js';
import { assertVersion, type TargetCatalog, type TargetRecord } from '../targets.js';
import { unlinkMatching } from '../redis-keys.js';

/** Moves the pointer only if it still holds the expected version ('' for none). */
const SWITCH_SCRIPT = `
local live = redis.call('GET', KEYS[1])
if (live or '') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

/** Analytics versions: the pointer is one key, the records one hash, beside the counters. */
export class AnalyticsTargets implements TargetCatalog {
  private readonly keys: ReturnType<typeof analyticsTargetKeys>;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    this.keys = analyticsTargetKeys(keyPrefix);
  }

  async liveVersion(): Promise<number | null> {
    const live = await this.redis.get(this.keys.live);
    return live === null ? null : Number(live);
  }

  async records(): Promise<TargetRecord[]> {
    const all = await this.redis.hgetall(this.keys.targets);
    return Object.values(all)
      .map((json) => JSON.parse(json) as TargetRecord)
      .sort((a, b) => a.version - b.version);
  }

  async save(record: TargetRecord): Promise<void> {
    assertVersion(record.version);
    await this.redis.hset(this.keys.targets, String(record.version), JSON.stringify(record));
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
    await this.redis.hdel(this.keys.targets, String(version));
  }
}
