// Where each read model lives. Projectors write there, the gateway and the convergence checker
// read there: one definition, so that the three can never disagree about a name.
//
// Every read model exists in numbered versions ("targets"): a rebuild fills a new version from
// the topics while the live one keeps serving, then the live pointer moves to it. Each version
// has its own collections, indices or keys; the pointer and the record of every version live
// beside them in the same store (see targets.ts).

/** MongoDB collections of one version of the order-history read model (in its own database). */
export function orderHistoryCollections(version: number) {
  return {
    /** One document per order, `_id` = order id. */
    orders: `orders_v${version}`,
    /** The customers joined into orders, `_id` = customer id. */
    customers: `customers_v${version}`,
    /** Aggregates whose events are parked behind a poison event. */
    parked: `parked_v${version}`,
    /** Per partition read (`_id` = `topic:partition`), the next offset to apply; written after the changes. */
    checkpoints: `checkpoints_v${version}`,
  } as const;
}

/** The collection holding the order-history versions and the live pointer (`_id: "live"`). */
export const ORDER_HISTORY_TARGETS_COLLECTION = 'projection_targets';

/**
 * Elasticsearch aliases of the search read model: reads go through them, and each points at the
 * live version's index, so that moving all three in one request switches the model atomically.
 */
export function searchAliases(indexPrefix: string) {
  return {
    orders: `${indexPrefix}-orders`,
    products: `${indexPrefix}-products`,
    /** The customers joined into orders. */
    customers: `${indexPrefix}-search-customers`,
  } as const;
}

/** The indices of one version of the search read model. */
export function searchIndices(indexPrefix: string, version: number) {
  const aliases = searchAliases(indexPrefix);
  return {
    orders: `${aliases.orders}-v${version}`,
    products: `${aliases.products}-v${version}`,
    customers: `${aliases.customers}-v${version}`,
    /** Not behind an alias: parking is the bookkeeping of the projector writing this version. */
    parked: `${indexPrefix}-search-parked-v${version}`,
    /** Per partition read (`_id` = `topic:partition`), the next offset to apply; written after the changes. */
    checkpoints: `${indexPrefix}-search-checkpoints-v${version}`,
  } as const;
}

/** The index holding the record of every search version (the aliases are the live pointer). */
export const searchTargetsIndex = (indexPrefix: string) => `${indexPrefix}-search-targets`;

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
export function analyticsTargetKeys(keyPrefix: string) {
  return {
    /** String: the live version's number. */
    live: `${keyPrefix}{analytics}:live`,
    /** Hash: version → JSON `TargetRecord`. */
    targets: `${keyPrefix}{analytics}:targets`,
  } as const;
}

/**
 * Redis keys of one version of the order-history read model's views: every order as the
 * gateway serves it, rendered once by the projector, so that reading one order or a page of a
 * customer's orders costs a key lookup instead of a document query. Every key carries the
 * `{order-history}` hash tag, so that one script may touch them all on a Redis Cluster too.
 */
export function orderViewKeys(keyPrefix: string, version: number) {
  const key = (name: string) => `${keyPrefix}{order-history}:v${version}:${name}`;
  return {
    /** String: `<rank>|<order JSON>` (see `orderViewEntry`). */
    order: (orderId: string) => key(`order:${orderId}`),
    /** Sorted set, all scores 0: `<placedAt>|<orderId>` of each of a customer's orders. */
    customerOrders: (customerId: string) => key(`customer-orders:${customerId}`),
    /**
     * String: a customer's first page of `CUSTOMER_ORDERS_PAGE_SIZE` orders, the page most
     * reads ask for, kept whole: `<last member if more follow, or nothing>` newline `<JSON array>`.
     */
    customerFirstPage: (customerId: string) => key(`customer-first-page:${customerId}`),
    /** Hash: `topic:partition` → the next offset whose view is written, after the views it covers. */
    checkpoints: key('checkpoints'),
    /**
     * String, present while the views hold every order the documents hold (up to the batch in
     * hand): set by the projector once its view checkpoints caught up with the documents', gone
     * with everything else when Redis loses its data. Reads use the views only while it is there.
     */
    complete: key('complete'),
    /** Matches every key of this version (for dropping it). */
    pattern: key('*'),
  } as const;
}

export type OrderViewKeys = ReturnType<typeof orderViewKeys>;

/** The size of a page of a customer's orders when a read names none; such first pages are kept whole. */
export const CUSTOMER_ORDERS_PAGE_SIZE = 20;
