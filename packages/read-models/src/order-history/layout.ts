// Where the order-history read model lives: a MongoDB database with a set of collections per
// version, and its order views in Redis. Its projector writes there; the gateway, the convergence
// check and the CLI read there, by these names only.

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
export const ORDER_HISTORY_VERSIONS_COLLECTION = 'projection_targets';

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
