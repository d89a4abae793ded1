import type { AggregateType } from '@cqrs-shop/events';
import type { CustomerRecord, OrderHistoryDocument } from '@cqrs-shop/projections';
import type { Collection, Db, Filter } from 'mongodb';
import type { AppliedVersion, AppliedVersions } from '../applied-version.js';
import { orderHistoryCollections } from './layout.js';
import { orderViewRank, type OrderViewsReader, type RenderedOrder, renderOrder } from './views.js';

/** An order document as stored: the order id is the document's `_id`. */
export type StoredOrder = Omit<OrderHistoryDocument, 'orderId'> & { _id: string };
/**
 * A customer record as stored: the customer id is the document's `_id`; `joinedVersion` is the
 * version whose details have been joined into every order waiting for them.
 */
export type StoredCustomer = Omit<CustomerRecord, 'customerId'> & { _id: string; joinedVersion?: number };

/** Where a page of a customer's orders ends: the last order's placement time and id. */
export interface CustomerOrdersPosition {
  readonly placedAt: string;
  readonly orderId: string;
}

export interface CustomerOrdersPage {
  readonly items: OrderHistoryDocument[];
  /** Set when more orders follow; pass it as `after` for the next page. */
  readonly next: CustomerOrdersPosition | null;
}

/** A page of a customer's orders as the gateway serves it: the items' JSON array, and where it ends. */
export interface CustomerOrdersJsonPage {
  readonly itemsJson: string;
  readonly next: CustomerOrdersPosition | null;
}

export function fromStoredOrder({ _id, ...rest }: StoredOrder): OrderHistoryDocument {
  return { orderId: _id, ...rest };
}

/**
 * Reads one version of the order-history read model: its documents in MongoDB and, when given,
 * its views in Redis. The JSON reads come from the views where they can (see `OrderViewsReader`),
 * from the documents otherwise.
 */
export class OrderHistoryReader implements AppliedVersions {
  readonly orders: Collection<StoredOrder>;
  readonly customers: Collection<StoredCustomer>;

  constructor(
    db: Db,
    readonly version: number,
    private readonly views?: OrderViewsReader,
  ) {
    const names = orderHistoryCollections(version);
    this.orders = db.collection<StoredOrder>(names.orders);
    this.customers = db.collection<StoredCustomer>(names.customers);
  }

  async order(orderId: string): Promise<OrderHistoryDocument | undefined> {
    const stored = await this.orders.findOne({ _id: orderId });
    return stored ? fromStoredOrder(stored) : undefined;
  }

  /** The order as the gateway serves it; undefined when there is no such order. */
  async orderJson(orderId: string): Promise<RenderedOrder | undefined> {
    const viewed = await this.views?.orderJson(orderId);
    if (viewed !== undefined) return viewed;
    const order = await this.order(orderId);
    return order && { json: renderOrder(order), rank: orderViewRank(order) };
  }

  /** A page of {@link customerOrders} as the gateway serves it. */
  async customerOrdersJson(
    customerId: string,
    limit: number,
    after?: CustomerOrdersPosition,
  ): Promise<CustomerOrdersJsonPage> {
    const viewed = await this.views?.customerOrders(customerId, limit, after);
    if (viewed) return viewed;
    const page = await this.customerOrders(customerId, limit, after);
    return { itemsJson: `[${page.items.map(renderOrder).join(',')}]`, next: page.next };
  }

  /**
   * One page of a customer's orders, newest first (ties by descending order id), after
   * `after`: keyset pagination on the `customer_orders_newest_first` index, so a page costs the
   * same however deep it is and orders placed meanwhile neither repeat nor go missing.
   */
  async customerOrders(
    customerId: string,
    limit: number,
    after?: CustomerOrdersPosition,
  ): Promise<CustomerOrdersPage> {
    const filter: Filter<StoredOrder> = after
      ? {
          customerId,
          $or: [
            { placedAt: { $lt: after.placedAt } },
            { placedAt: after.placedAt, _id: { $lt: after.orderId } },
          ],
        }
      : { customerId };
    const found = await this.orders
      .find(filter)
      .sort({ placedAt: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    const items = found.slice(0, limit).map(fromStoredOrder);
    const last = items.at(-1);
    return {
      items,
      next: found.length > limit && last ? { placedAt: last.placedAt, orderId: last.orderId } : null,
    };
  }

  async appliedVersion(aggregateType: AggregateType, aggregateId: string): Promise<AppliedVersion> {
    switch (aggregateType) {
      case 'order': {
        // What the JSON reads answer from: the view, or the document when there is none.
        const viewed = await this.views?.orderVersion(aggregateId);
        if (viewed !== undefined) return viewed;
        const found = await this.orders.findOne({ _id: aggregateId }, { projection: { version: 1 } });
        return found?.version ?? 0;
      }
      case 'customer': {
        // Applied means joined too: an order placed before the registration shows the customer.
        const found = await this.customers.findOne(
          { _id: aggregateId },
          { projection: { joinedVersion: 1 } },
        );
        return found?.joinedVersion ?? 0;
      }
      case 'product':
        return 'not-read';
    }
  }
}
