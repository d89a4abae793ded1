// Where each read model lives. Projectors write there, the gateway and the convergence checker
// read there: one definition, so that the three can never disagree about a name.

/** MongoDB collections of the order-history read model (in its own database). */
export const ORDER_HISTORY_COLLECTIONS = {
  /** One document per order, `_id` = order id. */
  orders: 'orders',
  /** The customers joined into orders, `_id` = customer id. */
  customers: 'customers',
  /** Aggregates whose events are parked behind a poison event. */
  parked: 'parked',
} as const;

/**
 * Elasticsearch aliases of the search read model. Reads and writes go through the aliases only;
 * each points at a versioned index (`<alias>-v1`), so a rebuilt index can replace it.
 */
export function searchAliases(indexPrefix: string) {
  return {
    orders: `${indexPrefix}-orders`,
    products: `${indexPrefix}-products`,
    /** The customers joined into orders. */
    customers: `${indexPrefix}-search-customers`,
    /** Not an alias: parking is bookkeeping of the projector, not part of a rebuildable model. */
    parked: `${indexPrefix}-search-parked`,
  } as const;
}

/**
 * Redis keys of the analytics read model. Every key carries the `{analytics}` hash tag, so that
 * one script may touch them all on a Redis Cluster too.
 */
export function analyticsKeys(keyPrefix: string) {
  const key = (name: string) => `${keyPrefix}{analytics}:${name}`;
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
  } as const;
}

export type AnalyticsKeys = ReturnType<typeof analyticsKeys>;
