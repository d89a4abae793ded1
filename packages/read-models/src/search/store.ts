import type { Client } from '@elastic/elasticsearch';
import type { EventPayloads, EventType } from '@cqrs-shop/events';
import type {
  AggregateEvents,
  AggregateFold,
  Checkpoint,
  CheckpointMove,
  PreparedBatch,
  ProjectedEvent,
  Unwritten,
  WriteOutcome,
} from '../writing/contract.js';
import { applyOne, foldsInOrder } from '../writing/store-projection.js';
import { RecentWrites } from '../writing/recent-writes.js';
import { SharedRequests } from '../writing/shared-requests.js';
import { StoreUnavailableError } from '../writing/contract.js';
import {
  applyCustomerEvent,
  applyOrderSearchEvent,
  applyProductEvent,
  type CustomerEventType,
  type CustomerRecord,
  type EnvelopeOf,
  foldEvents,
  type OrderEventType,
  type OrderSearchDocument,
  type ProductEventType,
  type ProductSearchDocument,
  type Rejection,
  withOrderSearchCustomer,
} from '@cqrs-shop/projections';
import { searchIndices } from './layout.js';

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

/** A document as read, with what a compare-and-set on it needs. */
interface Held<T> {
  readonly source: T;
  readonly seqNo: number;
  readonly primaryTerm: number;
}

type StoredCustomer = CustomerRecord & { joinedVersion?: number };

const customerRecord = ({ customerId, name, email, version }: StoredCustomer): CustomerRecord => ({
  customerId,
  name,
  email,
  version,
});

/** One document to write: created, or replaced if it is still the one read. */
interface Put {
  readonly index: string;
  readonly id: string;
  readonly held: Held<unknown> | undefined;
  readonly document: object;
  /** The aggregate it belongs to, when it is an aggregate's change (not a join). */
  readonly key?: string;
}

interface BulkItemResult {
  readonly status: number;
  readonly seqNo?: number;
  readonly primaryTerm?: number;
  readonly error?: string;
}

type OrderEvent = ProjectedEvent<OrderEventType>;
type ProductEvent = ProjectedEvent<ProductEventType>;
type CustomerEvent = ProjectedEvent<CustomerEventType>;

const idOf = (key: string) => key.slice(key.indexOf(':') + 1);

/**
 * One version of the search read model in Elasticsearch, written to its own indices (readers
 * of the live version go through the aliases, which a switch moves). A batch is read with one
 * `_mget`, folded per aggregate with the pure functions, and written with one `_bulk`: each
 * document created, or replaced only if it is still the one read (`if_seq_no`), so a lost race
 * is noticed per document and only that aggregate is folded again. Then the checkpoints, in an
 * index of the version, guarded the same way.
 */
export class ElasticsearchSearchStore {
  readonly indices: ReturnType<typeof searchIndices>;
  /** Customers seen: a customer never changes once registered, so a record read stays true. */
  private readonly customerCache = new Map<string, CustomerRecord>();
  /** Aggregates found to exist although their batch began with their creation: read them next time. */
  private readonly readFirst = new Set<string>();
  /** The checkpoint documents as last read or written, for their compare-and-set. */
  private readonly checkpointDocs = new Map<string, Held<{ next: number }>>();
  /** Orders and products as last written (`index/id`): not read back for their next batch. */
  private readonly written = new RecentWrites<Held<unknown>>();
  /** Every partition's `_bulk` writes share requests. */
  private readonly bulkRequests = new SharedRequests((puts: readonly Put[]) => this.sendBulk(puts), {
    name: 'elasticsearch bulk',
  });

  /** Writes version `version` of the read model, in its own indices (made by its catalog). */
  constructor(
    private readonly es: Client,
    prefix: string,
    version: number,
  ) {
    this.indices = searchIndices(prefix, version);
  }

  async order(orderId: string): Promise<OrderSearchDocument | undefined> {
    return (await this.get<OrderSearchDocument>(this.indices.orders, orderId))?.source;
  }

  async product(productId: string): Promise<ProductSearchDocument | undefined> {
    return (await this.get<ProductSearchDocument>(this.indices.products, productId))?.source;
  }

  async checkpoints(topics: readonly string[]): Promise<Checkpoint[]> {
    await this.es.indices.refresh({ index: this.indices.checkpoints });
    const found = await this.es.search<{ next: number }>({
      index: this.indices.checkpoints,
      size: 10_000,
      seq_no_primary_term: true,
    });
    this.checkpointDocs.clear();
    return found.hits.hits.flatMap((hit) => {
      const id = hit._id ?? '';
      const at = id.lastIndexOf(':');
      const topic = id.slice(0, at);
      if (!hit._source || !topics.includes(topic)) return [];
      this.checkpointDocs.set(id, {
        source: hit._source,
        seqNo: hit._seq_no ?? 0,
        primaryTerm: hit._primary_term ?? 0,
      });
      return [{ topic, partition: Number(id.slice(at + 1)), next: hit._source.next }];
    });
  }

  async prepare(aggregates: readonly AggregateEvents[]): Promise<PreparedBatch> {
    const of = (type: string) => aggregates.filter((a) => a.key.startsWith(`${type}:`));
    const orders = of('order');
    const products = of('product');
    const customers = of('customer');
    // An aggregate whose events start with its creation is new unless a duplicate said otherwise.
    const mustRead = (a: AggregateEvents) =>
      a.events[0]?.envelope.aggregateVersion !== 1 || this.readFirst.has(a.key);
    const placedCustomers = orders.flatMap((a) =>
      a.events.flatMap((e) =>
        e.envelope.eventType === 'OrderPlaced'
          ? [(e.payload as EventPayloads['OrderPlaced']).customerId]
          : [],
      ),
    );
    const customersToRead = [
      ...new Set([
        ...customers.map((a) => idOf(a.key)),
        ...placedCustomers.filter((id) => !this.customerCache.has(id)),
      ]),
    ];
    const docs = [
      ...orders.filter(mustRead).map((a) => ({ _index: this.indices.orders, _id: idOf(a.key) })),
      ...products.filter(mustRead).map((a) => ({ _index: this.indices.products, _id: idOf(a.key) })),
      ...customersToRead.map((id) => ({ _index: this.indices.customers, _id: id })),
    ];
    const held = new Map<string, Held<unknown>>();
    const unknown = docs.filter((doc) => {
      const key = `${doc._index}/${doc._id}`;
      const known = this.written.get(key);
      if (known) held.set(key, known);
      return !known;
    });
    if (unknown.length > 0) for (const [key, doc] of await this.mget(unknown)) held.set(key, doc);
    const heldOf = <T>(index: string, id: string) => held.get(`${index}/${id}`) as Held<T> | undefined;
    for (const id of customersToRead) {
      const stored = heldOf<StoredCustomer>(this.indices.customers, id);
      if (stored) this.customerCache.set(id, customerRecord(stored.source));
    }

    const folds = new Map<string, AggregateFold>();
    const puts: Put[] = [];
    const joinedCustomers: CustomerRecord[] = [];
    for (const aggregate of customers) {
      const stored = heldOf<StoredCustomer>(this.indices.customers, idOf(aggregate.key));
      const before = stored && customerRecord(stored.source);
      const fold = foldEvents(before, aggregate.events as CustomerEvent[], (record, event) =>
        applyCustomerEvent(record, event.envelope, event.payload),
      );
      folds.set(aggregate.key, fold);
      if (fold.state && fold.state !== before) {
        puts.push({
          index: this.indices.customers,
          id: idOf(aggregate.key),
          held: stored,
          document: fold.state,
          key: aggregate.key,
        });
        this.customerCache.set(fold.state.customerId, fold.state);
        joinedCustomers.push(fold.state);
      } else if (stored && before && stored.source.joinedVersion !== before.version)
        joinedCustomers.push(before);
    }
    for (const aggregate of orders) {
      const stored = heldOf<OrderSearchDocument>(this.indices.orders, idOf(aggregate.key));
      const fold = foldEvents(stored?.source, aggregate.events as OrderEvent[], (doc, event) =>
        applyOrderSearchEvent(doc, event.envelope, event.payload),
      );
      folds.set(aggregate.key, fold);
      let next = fold.state;
      if (!next) continue;
      const customer = next.customerName === null ? this.customerCache.get(next.customerId) : undefined;
      if (customer) next = withOrderSearchCustomer(next, customer);
      if (next !== stored?.source)
        puts.push({
          index: this.indices.orders,
          id: next.orderId,
          held: stored,
          document: next,
          key: aggregate.key,
        });
    }
    for (const aggregate of products) {
      const stored = heldOf<ProductSearchDocument>(this.indices.products, idOf(aggregate.key));
      const fold = foldEvents(stored?.source, aggregate.events as ProductEvent[], (doc, event) =>
        applyProductEvent(doc, event.envelope, event.payload),
      );
      folds.set(aggregate.key, fold);
      if (fold.state && fold.state !== stored?.source)
        puts.push({
          index: this.indices.products,
          id: fold.state.productId,
          held: stored,
          document: fold.state,
          key: aggregate.key,
        });
    }
    return {
      folds: foldsInOrder(aggregates, folds),
      write: (checkpoints) => this.write(puts, joinedCustomers, checkpoints),
    };
  }

  private async write(
    puts: readonly Put[],
    joinedCustomers: readonly CustomerRecord[],
    checkpoints: readonly CheckpointMove[],
  ): Promise<WriteOutcome> {
    const unwritten = new Map<string, Unwritten>();
    const results = puts.length > 0 ? await this.bulk(puts) : [];
    const unjoined: { put: Put; result: BulkItemResult }[] = [];
    puts.forEach((put, i) => {
      const result = results[i];
      if (!result || !put.key) return;
      if (result.status === 409) {
        if (!put.held) this.readFirst.add(put.key);
        unwritten.set(put.key, { kind: 'conflict' });
      } else if (result.status >= 300) {
        // Mapping and validation errors: the same document will be refused again.
        unwritten.set(put.key, {
          kind: 'failed',
          error: new Error(result.error ?? `status ${result.status}`),
          permanent: result.status < 500,
        });
      } else if (
        put.index === this.indices.orders &&
        (put.document as OrderSearchDocument).customerName === null
      )
        unjoined.push({ put, result });
    });
    if (joinedCustomers.length > 0) await this.joinCustomers(joinedCustomers);
    // Written without their customer: it may have been stored, and its join searched, between
    // the read and this write (customers and orders are applied concurrently). Look once more.
    if (unjoined.length > 0) await this.joinLate(unjoined);
    if (unwritten.size > 0) return { unwritten, checkpointed: false, checkpointMoved: false };
    if (!(await this.moveCheckpoints(checkpoints)))
      return { unwritten, checkpointed: false, checkpointMoved: true };
    return { unwritten, checkpointed: true, checkpointMoved: false };
  }

  /**
   * Completes the orders that arrived before their customers, then marks each customer joined at
   * its version (the gateway honours a customer's token only once it is). Search sees new
   * documents only after a refresh, so the orders index is refreshed first: an order written a
   * moment ago is not missed. Only customers that are new to this version need it.
   */
  private async joinCustomers(customers: readonly CustomerRecord[]): Promise<void> {
    const byId = new Map(customers.map((c) => [c.customerId, c]));
    const pageSize = 500;
    for (;;) {
      await this.es.indices.refresh({ index: this.indices.orders });
      const waiting = await this.es.search<OrderSearchDocument>({
        index: this.indices.orders,
        size: pageSize,
        seq_no_primary_term: true,
        query: {
          bool: {
            filter: [{ terms: { customerId: [...byId.keys()] } }],
            must_not: [{ exists: { field: 'customerName' } }],
          },
        },
      });
      const puts = waiting.hits.hits.flatMap((hit): Put[] => {
        const customer = hit._source && byId.get(hit._source.customerId);
        if (!hit._source || hit._id === undefined || !customer) return [];
        const held = { source: hit._source, seqNo: hit._seq_no ?? 0, primaryTerm: hit._primary_term ?? 0 };
        return [
          {
            index: this.indices.orders,
            id: hit._id,
            held,
            document: withOrderSearchCustomer(hit._source, customer),
          },
        ];
      });
      // A lost race means the order was rewritten meanwhile, and that write joined the customer.
      if (puts.length > 0) await this.bulk(puts);
      // A full page may have left more behind it; the refresh above makes the joined ones drop out.
      if (waiting.hits.hits.length < pageSize) break;
    }
    const stored = await this.mget(
      customers.map((c) => ({ _index: this.indices.customers, _id: c.customerId })),
    );
    const marks = customers.flatMap((customer): Put[] => {
      const held = stored.get(`${this.indices.customers}/${customer.customerId}`) as
        Held<StoredCustomer> | undefined;
      return held?.source.version === customer.version
        ? [
            {
              index: this.indices.customers,
              id: customer.customerId,
              held,
              document: { ...customer, joinedVersion: customer.version },
            },
          ]
        : [];
    });
    if (marks.length > 0) await this.bulk(marks);
  }

  private async joinLate(written: readonly { put: Put; result: BulkItemResult }[]): Promise<void> {
    const customerIds = [
      ...new Set(written.map(({ put }) => (put.document as OrderSearchDocument).customerId)),
    ];
    const found = await this.mget(customerIds.map((id) => ({ _index: this.indices.customers, _id: id })));
    const puts = written.flatMap(({ put, result }): Put[] => {
      const doc = put.document as OrderSearchDocument;
      const customer = found.get(`${this.indices.customers}/${doc.customerId}`) as
        Held<StoredCustomer> | undefined;
      if (!customer) return [];
      const held = { source: doc, seqNo: result.seqNo ?? 0, primaryTerm: result.primaryTerm ?? 0 };
      return [
        {
          index: put.index,
          id: put.id,
          held,
          document: withOrderSearchCustomer(doc, customerRecord(customer.source)),
        },
      ];
    });
    if (puts.length > 0) await this.bulk(puts);
  }

  /**
   * Moves the checkpoints, in one write, where the store still holds the expected ones; false
   * when one of them had moved elsewhere (that one is left as it was).
   */
  private async moveCheckpoints(moves: readonly CheckpointMove[]): Promise<boolean> {
    const puts: Put[] = [];
    for (const { topic, partition, from, next } of moves) {
      const id = `${topic}:${partition}`;
      let held = this.checkpointDocs.get(id);
      if (from !== null && held?.source.next !== from) {
        held = await this.get<{ next: number }>(this.indices.checkpoints, id);
        if (held?.source.next !== from) return false;
      }
      puts.push({
        index: this.indices.checkpoints,
        id,
        held: from === null ? undefined : held,
        document: { next },
      });
    }
    let moved = true;
    for (let attempt = 1; puts.length > 0; attempt++) {
      const results = await this.bulk(puts);
      const conflicts: Put[] = [];
      puts.forEach((put, i) => {
        const result = results[i];
        if (!result || result.status === 409) {
          this.checkpointDocs.delete(put.id);
          conflicts.push(put);
        } else if (result.status >= 300)
          throw new Error(`checkpoint ${put.id} not written: ${result.error ?? result.status}`);
        else
          this.checkpointDocs.set(put.id, {
            source: put.document as { next: number },
            seqNo: result.seqNo ?? 0,
            primaryTerm: result.primaryTerm ?? 0,
          });
      });
      // A conflict where the checkpoint still holds the position it is moved from is not another
      // member's move: only its sequence number or primary term changed (Elasticsearch restarted
      // and gave the shard a new primary term). Compared by value, it is tried again.
      puts.length = 0;
      for (const conflict of conflicts) {
        const from = moves.find((move) => `${move.topic}:${move.partition}` === conflict.id)?.from;
        const held = await this.get<{ next: number }>(this.indices.checkpoints, conflict.id);
        if (attempt < 3 && from !== undefined && from !== null && held?.source.next === from)
          puts.push({ ...conflict, held });
        else moved = false;
      }
    }
    return moved;
  }

  private async get<T>(index: string, id: string): Promise<Held<T> | undefined> {
    const found = await this.es.get<T>({ index, id }, { ignore: [404] });
    if (!found.found || found._source === undefined) return undefined;
    return { source: found._source, seqNo: found._seq_no ?? 0, primaryTerm: found._primary_term ?? 0 };
  }

  /** Documents by `index/id`; absent ones are left out. */
  private async mget(docs: readonly { _index: string; _id: string }[]): Promise<Map<string, Held<unknown>>> {
    const found = await this.es.mget({ docs: [...docs] });
    const held = new Map<string, Held<unknown>>();
    for (const doc of found.docs) {
      if ('error' in doc) throw new Error(`${doc._index}/${doc._id}: ${JSON.stringify(doc.error)}`);
      if (doc.found && doc._source !== undefined)
        held.set(`${doc._index}/${doc._id}`, {
          source: doc._source,
          seqNo: doc._seq_no ?? 0,
          primaryTerm: doc._primary_term ?? 0,
        });
    }
    return held;
  }

  /**
   * Writes documents with `_bulk` (sharing the request with other partitions' writes): each one
   * created, or indexed if still the one held. Throttling and server errors on any of them mean
   * the cluster is struggling: the whole write is tried again later (documents already written
   * are then found written, and folded as already applied).
   */
  private async bulk(puts: readonly Put[]): Promise<BulkItemResult[]> {
    const results = await this.bulkRequests.submit(puts);
    const struggling = results.find((r) => r.status === 429 || r.status >= 500);
    if (struggling)
      throw new StoreUnavailableError(
        `Elasticsearch refused a write for now (${struggling.status}): ${struggling.error ?? ''}`,
      );
    return results;
  }

  private async sendBulk(puts: readonly Put[]): Promise<BulkItemResult[]> {
    const operations = puts.flatMap(({ index, id, held, document }) => [
      held
        ? { index: { _index: index, _id: id, if_seq_no: held.seqNo, if_primary_term: held.primaryTerm } }
        : { create: { _index: index, _id: id } },
      document,
    ]);
    const answer = await this.es.bulk({ operations });
    return answer.items.map((item, i): BulkItemResult => {
      const result = item.index ?? item.create;
      const put = puts[i];
      if (put && (put.index === this.indices.orders || put.index === this.indices.products))
        this.remember(put, result);
      return {
        status: result?.status ?? 500,
        ...(result?._seq_no === undefined ? {} : { seqNo: result._seq_no }),
        ...(result?._primary_term === undefined ? {} : { primaryTerm: result._primary_term }),
        ...(result?.error ? { error: `${result.error.type}: ${result.error.reason ?? ''}` } : {}),
      };
    });
  }

  /** Keeps a document as written for the next batch, or forgets it when the write failed. */
  private remember(
    put: Put,
    result: { status: number; _seq_no?: number; _primary_term?: number } | undefined,
  ) {
    const key = `${put.index}/${put.id}`;
    this.written.delete(key);
    if (!result || result.status >= 300 || result._seq_no === undefined || result._primary_term === undefined)
      return;
    this.written.set(key, { source: put.document, seqNo: result._seq_no, primaryTerm: result._primary_term });
  }

  /** Applies one event on its own (tests, tools): the batch path with a batch of one. */
  async applyEvent<T extends EventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    return (await applyOne(this, { envelope, payload } as unknown as ProjectedEvent)) as StoreOutcome;
  }
}
