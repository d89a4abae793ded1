import type { Rate } from '@cqrs-shop/config';
import type { Logger } from '@cqrs-shop/logging';
import { Redis } from 'ioredis';

/** The longest a charge may take before the request goes through unlimited. */
const CHARGE_TIMEOUT_MS = 250;

/** What one request's charge against a budget came to. */
export interface Charge {
  readonly allowed: boolean;
  /** Requests the caller may still send right away. */
  readonly remaining: number;
  /** Until the budget is whole again. */
  readonly resetMs: number;
  /** When refused: until one more request is allowed. */
  readonly retryAfterMs: number;
}

/**
 * A generic cell rate algorithm (GCRA) step: one key per caller holds the theoretical arrival
 * time (TAT) of its next request; `limit` requests may come at once, then one every
 * window/limit. The clock is Redis's, so every replica charges against the same time.
 * KEYS[1] the caller's key; ARGV[1] ms per request, ARGV[2] the window in ms.
 * Answers {allowed (1/0), remaining, ms until whole, ms until the next is allowed}.
 */
const CHARGE = `
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - window
if allowed_at > now then
  return {0, 0, math.ceil(tat - now), math.ceil(allowed_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now))
return {1, math.floor((window - (next_tat - now)) / interval), math.ceil(next_tat - now), 0}
`;

/**
 * Enters one wait into a caller's set of running waits, unless it holds `cap` already. Each
 * member carries its deadline as score: a replica that dies mid-wait leaves entries that lapse
 * on their own. KEYS[1] the set; ARGV[1] the member, ARGV[2] the cap, ARGV[3] its lifetime (ms).
 */
const ENTER = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

type RateLimitRedis = Redis & {
  rateLimitCharge(
    key: string,
    intervalMs: string,
    windowMs: string,
  ): Promise<[number, number, number, number]>;
  rateLimitEnter(key: string, member: string, cap: string, lifetimeMs: string): Promise<number>;
};

/**
 * Budgets of requests per caller, kept in Redis so that every replica of a service charges the
 * same one. Keys are `<prefix>rate:<budget>:<caller>` and `<prefix>waits:<caller>`.
 */
export class RateLimiter {
  private readonly redis: RateLimitRedis;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('rateLimitCharge', { numberOfKeys: 1, lua: CHARGE });
    redis.defineCommand('rateLimitEnter', { numberOfKeys: 1, lua: ENTER });
    this.redis = redis as RateLimitRedis;
  }

  /**
   * A limiter on a connection of its own, whose commands fail after a moment rather than wait
   * for a Redis that does not answer (the request then goes through unlimited). Commands sent
   * while it connects wait for the connection, within that moment: a replica that just started
   * limits its first requests too.
   */
  static connect(url: string, keyPrefix: string, logger: Logger): RateLimiter {
    const redis = new Redis(url, {
      enableAutoPipelining: true,
      commandTimeout: CHARGE_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
    });
    redis.on('error', (error: Error) => {
      logger.debug({ err: error.message }, 'rate limiter: redis connection error');
    });
    return new RateLimiter(redis, keyPrefix);
  }

  close(): void {
    this.redis.disconnect();
  }

  /** Charges one request of `caller` against the budget `name` of `rate`. */
  async charge(name: string, rate: Rate, caller: string): Promise<Charge> {
    const interval = rate.windowMs / rate.limit;
    const [allowed, remaining, resetMs, retryAfterMs] = await this.redis.rateLimitCharge(
      `${this.keyPrefix}rate:${name}:${caller}`,
      interval.toFixed(3),
      String(rate.windowMs),
    );
    return { allowed: allowed === 1, remaining, resetMs, retryAfterMs };
  }

  /**
   * Counts one more wait of `caller` if it has fewer than `cap` running; `id` names this one
   * (for {@link leave}), `lifetimeMs` is the longest it can run.
   */
  async enter(caller: string, id: string, cap: number, lifetimeMs: number): Promise<boolean> {
    const entered = await this.redis.rateLimitEnter(
      `${this.keyPrefix}waits:${caller}`,
      id,
      String(cap),
      String(Math.ceil(lifetimeMs)),
    );
    return entered === 1;
  }

  /** Ends a wait {@link enter} counted. */
  async leave(caller: string, id: string): Promise<void> {
    await this.redis.zrem(`${this.keyPrefix}waits:${caller}`, id);
  }
}
