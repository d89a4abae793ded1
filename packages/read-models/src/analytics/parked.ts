import type { ParkedAggregates } from '../writing/contract.js';
import { analyticsKeys } from './layout.js';
import type { Redis } from 'ioredis';

/** Parked aggregates of the analytics projection, in a hash beside its counters. */
export class RedisParkedAggregates implements ParkedAggregates {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    version: number,
  ) {
    this.key = analyticsKeys(prefix, version).parked;
  }

  async isParked(aggregateKey: string): Promise<boolean> {
    return (await this.redis.hexists(this.key, aggregateKey)) === 1;
  }

  async park(aggregateKey: string, reason: string): Promise<void> {
    // The first reason is the cause; later events only queue up behind it.
    await this.redis.hsetnx(this.key, aggregateKey, reason);
  }

  async unpark(aggregateKey: string): Promise<void> {
    await this.redis.hdel(this.key, aggregateKey);
  }

  async list(): Promise<{ aggregateKey: string; reason: string }[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.entries(all).map(([aggregateKey, reason]) => ({ aggregateKey, reason }));
  }
}
