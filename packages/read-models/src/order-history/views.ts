import type { OrderHistoryDocument } from '@cqrs-shop/projections';
import type { Redis } from 'ioredis';
import { CUSTOMER_ORDERS_PAGE_SIZE, orderViewKeys, type OrderViewKeys } from './layout.js';

/**
 * An order as the gateway serves it, as JSON with its fields in one fixed order, whether it
 * comes from a view or from a document.
 */
export function renderOrder(doc: OrderHistoryDocument): string {
  return JSON.stringify({
    orderId: doc.orderId,
    customerId: doc.customerId,
    customer: doc.customer && { name: doc.customer.name, email: doc.customer.email },
    lines: doc.lines,
    totalCents: doc.totalCents,
    currency: doc.currency,
    channel: doc.channel,
    status: doc.status,
    statusHistory: doc.statusHistory,
    placedAt: doc.placedAt,
    updatedAt: doc.updatedAt,
    refundCents: doc.refundCents,
    version: doc.version,
  });
}

/**
 * How far a view has got: the order's version, and then whether its customer is joined in (the
 * join does not change the version). A view is replaced only by one of a higher rank.
 */
export const orderViewRank = (doc: OrderHistoryDocument): number =>
  doc.version * 2 + (doc.customer === null ? 0 : 1);

/** A view as stored: `<rank>|<order JSON>`, so that the guard needs no JSON parser. */
export const orderViewEntry = (doc: OrderHistoryDocument): string =>
  `${orderViewRank(doc)}|${renderOrder(doc)}`;

/** A customer's order in its sorted set: members sort as the pages do, newest first by reverse range. */
export const customerOrderMember = (placedAt: string, orderId: string): string => `${placedAt}|${orderId}`;

/** The replies of a transaction or pipeline, or its first error. */
function replies(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('the Redis transaction or pipeline was discarded');
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}

function positionOf(member: string): { placedAt: string; orderId: string } {
  const bar = member.lastIndexOf('|');
  return { placedAt: member.slice(0, bar), orderId: member.slice(bar + 1) };
}

function parseEntry(entry: string): RenderedOrder {
  const bar = entry.indexOf('|');
  return { rank: Number(entry.slice(0, bar)), json: entry.slice(bar + 1) };
}

/**
 * An order as served: its JSON, and its rank (version and join, see `orderViewRank`), which
 * changes whenever the JSON does.
 */
export interface RenderedOrder {
  readonly json: string;
  readonly rank: number;
}

/** One page of a customer's orders from the views: the JSON array of its orders, and where it ends. */
export interface CustomerOrdersViewPage {
  readonly itemsJson: string;
  readonly next: { readonly placedAt: string; readonly orderId: string } | null;
}

/**
 * Reads one version of the order views in Redis. An order is read from its view whenever it has
 * one (a view is never behind what a replay has written); a customer's page only while the views
 * are complete (see `OrderViewKeys.complete`), asked in the same transaction as the page.
 */
export class OrderViewsReader {
  readonly keys: OrderViewKeys;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    version: number,
  ) {
    this.keys = orderViewKeys(keyPrefix, version);
  }

  /** Whether the views hold every order the documents hold. */
  async complete(): Promise<boolean> {
    return (await this.redis.exists(this.keys.complete)) === 1;
  }

  /** The order as served; undefined when it has no view. */
  async orderJson(orderId: string): Promise<RenderedOrder | undefined> {
    const entry = await this.redis.get(this.keys.order(orderId));
    return entry === null ? undefined : parseEntry(entry);
  }

  /** The order version the view reflects; undefined when it has no view. */
  async orderVersion(orderId: string): Promise<number | undefined> {
    // The rank is at the start of the entry: a few bytes are enough.
    const head = await this.redis.getrange(this.keys.order(orderId), 0, 20);
    return head === '' ? undefined : Math.floor(parseEntry(head).rank / 2);
  }

  /**
   * A page of the customer's orders, newest first (ties by descending order id), after `after`;
   * undefined when the views are not complete or an order of the page has no view (the caller
   * reads the documents instead).
   */
  async customerOrders(
    customerId: string,
    limit: number,
    after?: { placedAt: string; orderId: string },
  ): Promise<CustomerOrdersViewPage | undefined> {
    if (!after && limit === CUSTOMER_ORDERS_PAGE_SIZE) return this.firstPage(customerId);
    const from = after ? `(${customerOrderMember(after.placedAt, after.orderId)}` : '+';
    const [complete, listed] = replies(
      await this.redis
        .multi()
        .exists(this.keys.complete)
        .zrevrangebylex(this.keys.customerOrders(customerId), from, '-', 'LIMIT', 0, limit + 1)
        .exec(),
    );
    // Incomplete views (lost with Redis, being replayed) might list a customer's orders in part.
    if (complete !== 1) return undefined;
    const members = listed as string[];
    const shown = members.slice(0, limit).map(positionOf);
    if (shown.length === 0) return { itemsJson: '[]', next: null };
    const entries = await this.redis.mget(shown.map((o) => this.keys.order(o.orderId)));
    const items: string[] = [];
    for (const entry of entries) {
      if (entry === null) return undefined;
      items.push(parseEntry(entry).json);
    }
    const last = shown.at(-1);
    return { itemsJson: `[${items.join(',')}]`, next: members.length > limit && last ? last : null };
  }

  /** The first page as the projector keeps it whole; undefined while the views are incomplete or it has none. */
  private async firstPage(customerId: string): Promise<CustomerOrdersViewPage | undefined> {
    const [complete, page] = replies(
      await this.redis.multi().exists(this.keys.complete).get(this.keys.customerFirstPage(customerId)).exec(),
    );
    if (complete !== 1) return undefined;
    const stored = page as string | null;
    // A customer without orders, or a page lost on its own (an eviction): the documents tell.
    if (stored === null) return undefined;
    const newline = stored.indexOf('\n');
    return {
      itemsJson: stored.slice(newline + 1),
      next: newline === 0 ? null : positionOf(stored.slice(0, newline)),
    };
  }

  /**
   * Each order's view JSON (undefined for none) and whether its customer's set lists it, in one
   * round trip (for the convergence checker).
   */
  async inspect(
    orders: readonly { orderId: string; customerId: string; placedAt: string }[],
  ): Promise<{ json: string | undefined; listed: boolean }[]> {
    if (orders.length === 0) return [];
    const read = this.redis.pipeline();
    for (const o of orders) {
      read.get(this.keys.order(o.orderId));
      read.zscore(this.keys.customerOrders(o.customerId), customerOrderMember(o.placedAt, o.orderId));
    }
    const answers = replies(await read.exec());
    return orders.map((_, i) => {
      const entry = answers[2 * i];
      return {
        json: typeof entry === 'string' ? parseEntry(entry).json : undefined,
        listed: answers[2 * i + 1] !== null,
      };
    });
  }
}
