// Where the analytics read model lives: Redis keys per version under one prefix. Its projector
// writes there; the gateway, the convergence check and the CLI read there, by these names only.

/**
 * Redis keys of one version of the analytics read model. Every key carries the `{analytics}`
 * hash tag, so that one script may touch them all on a Redis Cluster too.
 */
export function analyticsKeys(keyPrefix: string, version: number) {
  const key = (name: string) => `${keyPrefix}{analytics}:v${version}:${name}`;
  return {
    /** Hash: `ordersPlaced`. */
    totals: key('totals'),
    /** Hash: currency → gross revenue in minor units. */
    revenue: key('gross-revenue-cents'),
    /** Hash: currency → refunds in minor units. */
    refunds: key('refunded-cents'),
    /** Hash: status → orders now in it. */
    ordersByStatus: key('orders-by-status'),
    /** Hash: UTC hour (`2026-11-24T10`) → orders placed in it. */
    ordersPerHour: key('orders-per-hour'),
    /** Sorted set: product id scored by units sold, so that top-N is one range read. */
    productUnits: key('product-units'),
    /** Hash: product id → revenue in minor units of the product's currency. */
    productRevenue: key('product-revenue-cents'),
    /** Hash: product id → JSON `ProductLabel` (SKU, name, version). */
    productLabels: key('product-labels'),
    /** String: JSON `OrderAnalyticsSnapshot` of one order. */
    order: (orderId: string) => key(`order:${orderId}`),
    /** Hash: parked aggregate key → reason. */
    parked: key('parked'),
    /** Hash: `topic:partition` → the next offset to apply, written with the changes it covers. */
    checkpoints: key('checkpoints'),
    /** Matches every key of this version (for dropping it). */
    pattern: key('*'),
  } as const;
}

export type AnalyticsKeys = ReturnType<typeof analyticsKeys>;

/** Redis keys of the analytics versions: the live pointer and the record of every version. */
export function analyticsVersionKeys(keyPrefix: string) {
  return {
    /** String: the live version's number. */
    live: `${keyPrefix}{analytics}:live`,
    /** Hash: version → JSON `VersionRecord`. */
    versions: `${keyPrefix}{analytics}:targets`,
  } as const;
}
