import type { Client } from '@elastic/elasticsearch';
import type { EventPayloads } from '@cqrs-shop/events';
import {
  applyCustomerEvent,
  applyOrderSearchEvent,
  applyProductEvent,
  type CustomerEventType,
  type CustomerRecord,
  type EnvelopeOf,
  isRejection,
  type OrderEventType,
  type OrderSearchDocument,
  type ProductEventType,
  type ProductSearchDocument,
  type Rejection,
  withOrderSearchCustomer,
} from '@cqrs-shop/projections';
import { searchIndices } from '@cqrs-shop/read-models';

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

interface Held<T> {
  readonly source: T;
  readonly seqNo: number;
  readonly primaryTerm: number;
}

type StoredCustomer = CustomerRecord & { joinedVersion?: number };

function customerRecord({ customerId, name, email, version }: StoredCustomer): CustomerRecord {
  return { customerId, name, email, version };
}

function isConflict(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'meta' in error &&
    (error as { meta?: { statusCode?: number } }).meta?.statusCode === 409
  );
}

/**
 * One version of the search read model in Elasticsearch, written to its own indices (readers
 * of the live version go through the aliases, which a switch moves). Writes
 * are compare-and-set on the document's sequence number (`if_seq_no`), and the pure logic
 * decides from the document's aggregate version whether an event applies at all.
 */
export class ElasticsearchSearchStore {
  readonly indices: { orders: string; products: string; customers: string };

  /** Writes version `version` of the read model, in its own indices (made by its catalog). */
  constructor(
    private readonly es: Client,
    prefix: string,
    version: number,
  ) {
    const { orders, products, customers } = searchIndices(prefix, version);
    this.indices = { orders, products, customers };
  }

  private async get<T>(index: string, id: string): Promise<Held<T> | undefined> {
    const found = await this.es.get<T>({ index, id }, { ignore: [404] });
    if (!found.found || found._source === undefined) return undefined;
    return { source: found._source, seqNo: found._seq_no ?? 0, primaryTerm: found._primary_term ?? 0 };
  }

  /**
   * Writes a document created, or replaced if it is still the one read. Returns what is now
   * held (for a further compare-and-set), or undefined on a lost race.
   */
  private async put<T>(
    index: string,
    id: string,
    held: Held<T> | undefined,
    document: T,
  ): Promise<Held<T> | undefined> {
    try {
      const written = await this.es.index({
        index,
        id,
        document,
        ...(held
          ? { if_seq_no: held.seqNo, if_primary_term: held.primaryTerm }
          : { op_type: 'create' as const }),
      });
      return { source: document, seqNo: written._seq_no ?? 0, primaryTerm: written._primary_term ?? 0 };
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  async order(orderId: string): Promise<OrderSearchDocument | undefined> {
    return (await this.get<OrderSearchDocument>(this.indices.orders, orderId))?.source;
  }

  async product(productId: string): Promise<ProductSearchDocument | undefined> {
    return (await this.get<ProductSearchDocument>(this.indices.products, productId))?.source;
  }

  async applyOrderEvent<T extends OrderEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const held = await this.get<OrderSearchDocument>(this.indices.orders, envelope.aggregateId);
      let next = applyOrderSearchEvent(held?.source, envelope, payload);
      if (next === undefined) {
        // A crash may have come between writing the order and joining its customer.
        if (held && held.source.customerName === null) await this.joinLate(envelope.aggregateId, held);
        return 'already-applied';
      }
      if (isRejection(next)) return next;
      // A customer never changes once registered: a document that has it keeps it.
      if (next.customerName === null) {
        const customer = await this.get<CustomerRecord>(this.indices.customers, next.customerId);
        if (customer) next = withOrderSearchCustomer(next, customer.source);
      }
      const written = await this.put(this.indices.orders, envelope.aggregateId, held, next);
      if (!written) continue;
      // The customer may have been stored, and its join searched, between the read above and
      // this write (customers and orders are applied concurrently): look once more, after it.
      if (next.customerName === null) await this.joinLate(envelope.aggregateId, written);
      return 'applied';
    }
    throw new Error(
      `order ${envelope.aggregateId} kept changing while version ${envelope.aggregateVersion} was applied`,
    );
  }

  /** Joins the customer into an order written without it, if the customer is known by now. */
  private async joinLate(orderId: string, held: Held<OrderSearchDocument>): Promise<void> {
    const customer = await this.get<CustomerRecord>(this.indices.customers, held.source.customerId);
    // A lost race means the order was rewritten meanwhile, and that write read the customer.
    if (customer)
      await this.put(
        this.indices.orders,
        orderId,
        held,
        withOrderSearchCustomer(held.source, customer.source),
      );
  }

  async applyProductEvent<T extends ProductEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const held = await this.get<ProductSearchDocument>(this.indices.products, envelope.aggregateId);
      const next = applyProductEvent(held?.source, envelope, payload);
      if (next === undefined) return 'already-applied';
      if (isRejection(next)) return next;
      if (await this.put(this.indices.products, envelope.aggregateId, held, next)) return 'applied';
    }
    throw new Error(
      `product ${envelope.aggregateId} kept changing while version ${envelope.aggregateVersion} was applied`,
    );
  }

  async applyCustomerEvent<T extends CustomerEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    const held = await this.get<StoredCustomer>(this.indices.customers, envelope.aggregateId);
    const previous = held && customerRecord(held.source);
    const next = applyCustomerEvent(previous, envelope, payload);
    if (next === undefined) {
      // A crash may have come between storing the customer and joining it: finish the join.
      if (previous && held.source.joinedVersion !== previous.version) await this.joinCustomer(previous);
      return 'already-applied';
    }
    if (isRejection(next)) return next;
    if (!(await this.put<StoredCustomer>(this.indices.customers, envelope.aggregateId, held, next)))
      return 'already-applied';
    await this.joinCustomer(next);
    return 'applied';
  }

  /**
   * Completes the orders that arrived before their customer. Search sees new documents only after
   * a refresh, so the index is refreshed first: an order written a moment ago is not missed.
   */
  private async joinCustomer(customer: CustomerRecord): Promise<void> {
    const pageSize = 500;
    for (;;) {
      await this.es.indices.refresh({ index: this.indices.orders });
      const waiting = await this.es.search<OrderSearchDocument>({
        index: this.indices.orders,
        size: pageSize,
        seq_no_primary_term: true,
        query: {
          bool: {
            filter: [{ term: { customerId: customer.customerId } }],
            must_not: [{ exists: { field: 'customerName' } }],
          },
        },
      });
      for (const hit of waiting.hits.hits) {
        if (!hit._source || hit._id === undefined) continue;
        const held = { source: hit._source, seqNo: hit._seq_no ?? 0, primaryTerm: hit._primary_term ?? 0 };
        // A lost race means the order was rewritten meanwhile, and that write joined the customer.
        await this.put(this.indices.orders, hit._id, held, withOrderSearchCustomer(hit._source, customer));
      }
      // A full page may have left more behind it; the refresh above makes the joined ones drop out.
      if (waiting.hits.hits.length < pageSize) break;
    }
    // Marks the customer joined at its version: the gateway honours its token only once it is.
    const stored = await this.get<StoredCustomer>(this.indices.customers, customer.customerId);
    if (stored?.source.version === customer.version)
      await this.put<StoredCustomer>(this.indices.customers, customer.customerId, stored, {
        ...customer,
        joinedVersion: customer.version,
      });
  }
}
