import type { EventPayloads } from '@cqrs-shop/events';
import {
  type AnalyticsCounters,
  applyOrderToAnalytics,
  applyProductToAnalytics,
  type CounterDelta,
  type EnvelopeOf,
  isRejection,
  type OrderAnalyticsSnapshot,
  type OrderEventType,
  type ProductEventType,
  type Rejection,
} from '@cqrs-shop/projections';
import { type AnalyticsKeys, AnalyticsReader } from '@cqrs-shop/read-models';
import type { Redis } from 'ioredis';

/**
 * Applies an order's snapshot and its counter increments together, only if the stored snapshot
 * still has the version the increments were computed from (compare-and-set). Keys: 1 snapshot,
 * 2 totals, 3 revenue by currency, 4 refunds by currency, 5 orders by status, 6 orders per
 * hour (hashes), 7 units per product (sorted set), 8 revenue per product (hash). Returns the
 * stored version on a conflict, -1 when applied.
 */
const APPLY_ORDER_SCRIPT = `
local stored = redis.call('GET', KEYS[1])
local version = 0
if stored then version = cjson.decode(stored).version end
if version ~= tonumber(ARGV[1]) then return version end
for _, delta in ipairs(cjson.decode(ARGV[3])) do
  local c = delta.counter
  if c == 'ordersPlaced' then
    redis.call('HINCRBY', KEYS[2], c, delta.by)
  elseif c == 'grossRevenueCents' then
    redis.call('HINCRBY', KEYS[3], delta.field, delta.by)
  elseif c == 'refundedCents' then
    redis.call('HINCRBY', KEYS[4], delta.field, delta.by)
  elseif c == 'ordersByStatus' then
    redis.call('HINCRBY', KEYS[5], delta.field, delta.by)
  elseif c == 'ordersPerHour' then
    redis.call('HINCRBY', KEYS[6], delta.field, delta.by)
  elseif c == 'productUnits' then
    redis.call('ZINCRBY', KEYS[7], delta.by, delta.member)
  elseif c == 'productRevenueCents' then
    redis.call('HINCRBY', KEYS[8], delta.member, delta.by)
  else
    return redis.error_reply('unknown counter ' .. tostring(c))
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return -1
`;

/**
 * Stores a product's label if the stored one still has the version it was computed from.
 * KEYS[1] labels hash; ARGV product id, expected version, label JSON. Returns -1 when stored.
 */
const APPLY_LABEL_SCRIPT = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local version = 0
if stored then version = cjson.decode(stored).version end
if version ~= tonumber(ARGV[2]) then return version end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return -1
`;

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

/** One version of the analytics read model in Redis; where each part lives is `analyticsKeys`. */
export class RedisAnalyticsStore {
  private readonly keys: AnalyticsKeys;
  private readonly reader: AnalyticsReader;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    version: number,
  ) {
    this.reader = new AnalyticsReader(redis, prefix, version);
    this.keys = this.reader.keys;
  }

  snapshot(orderId: string): Promise<OrderAnalyticsSnapshot | undefined> {
    return this.reader.snapshot(orderId);
  }

  /** Every counter as stored, in the shape `recomputeCounters` returns. */
  counters(): Promise<AnalyticsCounters> {
    return this.reader.counters();
  }

  /**
   * Applies one order event exactly once: a redelivered or older event changes nothing, and two
   * deliveries racing each other are settled by the compare-and-set (the loser re-reads).
   */
  async applyOrderEvent<T extends OrderEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const previous = await this.snapshot(envelope.aggregateId);
      const change = applyOrderToAnalytics(previous, envelope, payload);
      if (change === undefined) return 'already-applied';
      if (isRejection(change)) return change;
      const result = await this.redis.eval(
        APPLY_ORDER_SCRIPT,
        8,
        this.keys.order(envelope.aggregateId),
        this.keys.totals,
        this.keys.revenue,
        this.keys.refunds,
        this.keys.ordersByStatus,
        this.keys.ordersPerHour,
        this.keys.productUnits,
        this.keys.productRevenue,
        String(previous?.version ?? 0),
        JSON.stringify(change.snapshot),
        JSON.stringify(change.deltas satisfies readonly CounterDelta[]),
      );
      if (result === -1) return 'applied';
    }
    throw new Error(
      `order ${envelope.aggregateId} kept changing while version ${envelope.aggregateVersion} was applied`,
    );
  }

  /** Keeps the product's SKU and name for the top-products list, guarded like the orders. */
  async applyProductEvent<T extends ProductEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const previous = await this.reader.productLabel(envelope.aggregateId);
      const next = applyProductToAnalytics(previous, envelope, payload);
      if (next === undefined) return 'already-applied';
      if (isRejection(next)) return next;
      const result = await this.redis.eval(
        APPLY_LABEL_SCRIPT,
        1,
        this.keys.productLabels,
        envelope.aggregateId,
        String(previous?.version ?? 0),
        JSON.stringify(next),
      );
      if (result === -1) return 'applied';
    }
    throw new Error(
      `product ${envelope.aggregateId} kept changing while version ${envelope.aggregateVersion} was applied`,
    );
  }
}
