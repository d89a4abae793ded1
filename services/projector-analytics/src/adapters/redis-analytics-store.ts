import type { EventPayloads } from '@cqrs-shop/events';
import {
  type AnalyticsCounters,
  applyOrderToAnalytics,
  type CounterDelta,
  type EnvelopeOf,
  isRejection,
  ORDER_STATUSES,
  type OrderAnalyticsSnapshot,
  type OrderEventType,
  type Rejection,
} from '@cqrs-shop/projections';
import type { Redis } from 'ioredis';

/**
 * Applies an order's snapshot and its counter increments together, only if the stored snapshot
 * still has the version the increments were computed from (compare-and-set). Keys: 1 snapshot,
 * 2 totals (hash), 3 orders by status (hash), 4 orders per hour (hash), 5 units per product
 * (sorted set), 6 revenue per product (hash). Returns the stored version on a conflict, -1 when
 * applied.
 */
const APPLY_SCRIPT = `
local stored = redis.call('GET', KEYS[1])
local version = 0
if stored then version = cjson.decode(stored).version end
if version ~= tonumber(ARGV[1]) then return version end
for _, delta in ipairs(cjson.decode(ARGV[3])) do
  local c = delta.counter
  if c == 'ordersPlaced' or c == 'grossRevenueCents' or c == 'refundedCents' then
    redis.call('HINCRBY', KEYS[2], c, delta.by)
  elseif c == 'ordersByStatus' then
    redis.call('HINCRBY', KEYS[3], delta.field, delta.by)
  elseif c == 'ordersPerHour' then
    redis.call('HINCRBY', KEYS[4], delta.field, delta.by)
  elseif c == 'productUnits' then
    redis.call('ZINCRBY', KEYS[5], delta.by, delta.member)
  elseif c == 'productRevenueCents' then
    redis.call('HINCRBY', KEYS[6], delta.member, delta.by)
  else
    return redis.error_reply('unknown counter ' .. tostring(c))
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return -1
`;

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

/**
 * The analytics read model in Redis. Every key carries the `{analytics}` hash tag, so that one
 * script may touch them all on a Redis Cluster too.
 */
export class RedisAnalyticsStore {
  private readonly keys: {
    totals: string;
    status: string;
    hour: string;
    units: string;
    revenue: string;
    order: (orderId: string) => string;
  };

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const key = (name: string) => `${prefix}{analytics}:${name}`;
    this.keys = {
      totals: key('totals'),
      status: key('orders-by-status'),
      hour: key('orders-per-hour'),
      units: key('product-units'),
      revenue: key('product-revenue-cents'),
      order: (orderId) => key(`order:${orderId}`),
    };
  }

  async snapshot(orderId: string): Promise<OrderAnalyticsSnapshot | undefined> {
    const stored = await this.redis.get(this.keys.order(orderId));
    return stored === null ? undefined : (JSON.parse(stored) as OrderAnalyticsSnapshot);
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
        APPLY_SCRIPT,
        6,
        this.keys.order(envelope.aggregateId),
        this.keys.totals,
        this.keys.status,
        this.keys.hour,
        this.keys.units,
        this.keys.revenue,
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

  /** Every counter as stored, in the shape `recomputeCounters` returns (zeros left out of sparse records). */
  async counters(): Promise<AnalyticsCounters> {
    const [totals, status, hours, units, revenue] = await Promise.all([
      this.redis.hgetall(this.keys.totals),
      this.redis.hgetall(this.keys.status),
      this.redis.hgetall(this.keys.hour),
      this.redis.zrange(this.keys.units, 0, -1, 'WITHSCORES'),
      this.redis.hgetall(this.keys.revenue),
    ]);
    const nonZero = (record: Record<string, string>): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const [field, value] of Object.entries(record))
        if (Number(value) !== 0) counts[field] = Number(value);
      return counts;
    };
    const unitsByProduct: Record<string, number> = {};
    for (let i = 0; i + 1 < units.length; i += 2) {
      const score = Number(units[i + 1]);
      if (score !== 0) unitsByProduct[units[i] ?? ''] = score;
    }
    return {
      ordersPlaced: Number(totals.ordersPlaced ?? 0),
      ordersByStatus: Object.fromEntries(
        ORDER_STATUSES.map((s) => [s, Number(status[s] ?? 0)]),
      ) as AnalyticsCounters['ordersByStatus'],
      grossRevenueCents: Number(totals.grossRevenueCents ?? 0),
      refundedCents: Number(totals.refundedCents ?? 0),
      productUnits: unitsByProduct,
      productRevenueCents: nonZero(revenue),
      ordersPerHour: nonZero(hours),
    };
  }
}
