import type { AggregateType } from '@cqrs-shop/events';
import {
  type AnalyticsCounters,
  ORDER_STATUSES,
  type OrderAnalyticsSnapshot,
  type OrderStatus,
  type ProductLabel,
} from '@cqrs-shop/projections';
import type { Redis } from 'ioredis';
import type { AppliedVersion, AppliedVersions } from '../applied-version.js';
import { type AnalyticsKeys, analyticsKeys } from './layout.js';

export interface SalesFigures {
  readonly ordersPlaced: number;
  readonly ordersByStatus: Readonly<Record<OrderStatus, number>>;
  /** In minor units of `currency`. */
  readonly grossRevenueCents: number;
  readonly refundedCents: number;
  readonly currency: string;
}

export interface TopProduct {
  readonly productId: string;
  /** Null until the product's `ProductAdded` has been projected. */
  readonly sku: string | null;
  readonly name: string | null;
  readonly unitsSold: number;
  /** In minor units of the product's currency. */
  readonly revenueCents: number;
}

const toNumber = (value: string | null | undefined) => Number(value ?? 0);

/** Non-zero fields of a hash as numbers: Redis may keep a field at 0, the counters leave it out. */
function nonZero(hash: Record<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (Number(value) !== 0) counts[field] = Number(value);
  return counts;
}

/** Reads one version of the analytics read model in Redis. */
export class AnalyticsReader implements AppliedVersions {
  readonly keys: AnalyticsKeys;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    readonly version: number,
  ) {
    this.keys = analyticsKeys(keyPrefix, version);
  }

  /** The sales figures in one currency (money in different currencies is never added up). */
  async sales(currency: string): Promise<SalesFigures> {
    const [ordersPlaced, byStatus, revenue, refunds] = await Promise.all([
      this.redis.hget(this.keys.totals, 'ordersPlaced'),
      this.redis.hgetall(this.keys.ordersByStatus),
      this.redis.hget(this.keys.revenue, currency),
      this.redis.hget(this.keys.refunds, currency),
    ]);
    return {
      ordersPlaced: toNumber(ordersPlaced),
      ordersByStatus: Object.fromEntries(ORDER_STATUSES.map((s) => [s, toNumber(byStatus[s])])) as Record<
        OrderStatus,
        number
      >,
      grossRevenueCents: toNumber(revenue),
      refundedCents: toNumber(refunds),
      currency,
    };
  }

  /** The `limit` products with the most units sold, most first (ties: descending product id). */
  async topProducts(limit: number): Promise<TopProduct[]> {
    const ranked = await this.redis.zrevrangebyscore(
      this.keys.productUnits,
      '+inf',
      '(0',
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const ids: string[] = [];
    const units: number[] = [];
    for (let i = 0; i + 1 < ranked.length; i += 2) {
      ids.push(ranked[i] ?? '');
      units.push(Number(ranked[i + 1]));
    }
    if (ids.length === 0) return [];
    const [revenues, labels] = await Promise.all([
      this.redis.hmget(this.keys.productRevenue, ...ids),
      this.redis.hmget(this.keys.productLabels, ...ids),
    ]);
    return ids.map((productId, i) => {
      const label = labels[i] ? (JSON.parse(labels[i]) as ProductLabel) : undefined;
      return {
        productId,
        sku: label?.sku ?? null,
        name: label?.name ?? null,
        unitsSold: units[i] ?? 0,
        revenueCents: toNumber(revenues[i]),
      };
    });
  }

  /** Every counter as stored, in the shape `recomputeCounters` gives. */
  async counters(): Promise<AnalyticsCounters> {
    const [totals, revenue, refunds, status, hours, units, productRevenue] = await Promise.all([
      this.redis.hgetall(this.keys.totals),
      this.redis.hgetall(this.keys.revenue),
      this.redis.hgetall(this.keys.refunds),
      this.redis.hgetall(this.keys.ordersByStatus),
      this.redis.hgetall(this.keys.ordersPerHour),
      this.redis.zrange(this.keys.productUnits, 0, -1, 'WITHSCORES'),
      this.redis.hgetall(this.keys.productRevenue),
    ]);
    const unitsByProduct: Record<string, string> = {};
    for (let i = 0; i + 1 < units.length; i += 2) unitsByProduct[units[i] ?? ''] = units[i + 1] ?? '0';
    return {
      ordersPlaced: toNumber(totals.ordersPlaced),
      ordersByStatus: Object.fromEntries(
        ORDER_STATUSES.map((s) => [s, toNumber(status[s])]),
      ) as AnalyticsCounters['ordersByStatus'],
      grossRevenueCents: nonZero(revenue),
      refundedCents: nonZero(refunds),
      productUnits: nonZero(unitsByProduct),
      productRevenueCents: nonZero(productRevenue),
      ordersPerHour: nonZero(hours),
    };
  }

  async snapshot(orderId: string): Promise<OrderAnalyticsSnapshot | undefined> {
    const stored = await this.redis.get(this.keys.order(orderId));
    return stored === null ? undefined : (JSON.parse(stored) as OrderAnalyticsSnapshot);
  }

  async productLabel(productId: string): Promise<ProductLabel | undefined> {
    const stored = await this.redis.hget(this.keys.productLabels, productId);
    return stored === null ? undefined : (JSON.parse(stored) as ProductLabel);
  }

  async appliedVersion(aggregateType: AggregateType, aggregateId: string): Promise<AppliedVersion> {
    switch (aggregateType) {
      case 'order':
        return (await this.snapshot(aggregateId))?.version ?? 0;
      case 'product':
        return (await this.productLabel(aggregateId))?.version ?? 0;
      case 'customer':
        return 'not-read';
    }
  }
}
