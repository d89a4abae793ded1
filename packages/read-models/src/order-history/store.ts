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
import {
  applyCustomerEvent,
  applyOrderEvent,
  type CustomerEventType,
  type CustomerRecord,
  type EnvelopeOf,
  foldEvents,
  type OrderEventType,
  type OrderHistoryDocument,
  type Rejection,
  withCustomer,
} from '@cqrs-shop/projections';
import { fromStoredOrder, OrderHistoryReader, type StoredCustomer, type StoredOrder } from './reader.js';
import { orderHistoryCollections } from './layout.js';
import type { RedisOrderViews, ViewCheckpointMove } from './views-store.js';
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  MongoBulkWriteError,
  type WithId,
  type WriteError,
} from 'mongodb';

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

const DUPLICATE_KEY = 11_000;

/** The places of a bulk write's operations that found a duplicate key, if that is all that failed. */
function duplicateKeyErrors(
  error: unknown,
): { indexes: Set<number>; result: MongoBulkWriteError['result'] } | undefined {
  if (!(error instanceof MongoBulkWriteError)) return undefined;
  const errors = (Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]) as WriteError[];
  if (errors.some((e) => e.code !== DUPLICATE_KEY)) return undefined;
  return { indexes: new Set(errors.map((e) => e.index)), result: error.result };
}

/**
 * What became of one operation of a bounded bulk write: written (inserted, or an update that
 * matched), refused for a duplicate key, or unsure (in a request whose totals fall short — an
 * update that matched nothing, or a server that counted fewer inserts than it was sent — the
 * totals do not say which one missed: the caller reads what the store holds).
 */
type OperationOutcome = 'written' | 'duplicate' | 'unsure';

/**
 * FerretDB 1.x holds a PostgreSQL connection for every statement of an update command until the
 * whole command is done, and needs one more for each statement's write: a command of many
 * statements, or many at once, can take every connection of its pool and wait for itself. So
 * updates go at most UPDATES_PER_REQUEST to a request and UPDATE_REQUESTS_AT_ONCE requests at a
 * time per store — at most 128 connections, within the local stack's pool of 150 (FerretDB does
 * every statement's read and write in turn, so a few requests at once use both cores: a rebuild
 * goes about 1.7 times as fast as with one). A real MongoDB would take them all at once; inserts
 * are one transaction and go in large requests.
 */
const UPDATES_PER_REQUEST = 16;
const UPDATE_REQUESTS_AT_ONCE = 4;
const INSERTS_PER_REQUEST = 1_000;

interface RequestChunk {
  /** The operations' places in the call. */
  readonly at: readonly number[];
  readonly inserting: boolean;
}

/**
 * The requests a call's operations go in: runs of one kind (inserts, or the rest), cut to request
 * size. With `anyOrder` (no document twice in the call), the inserts go first and the updates
 * after them, so that their runs are as long as they can be.
 */
function requestChunks<T extends Document>(
  operations: readonly AnyBulkWriteOperation<T>[],
  anyOrder: boolean,
): RequestChunk[] {
  const inserting = operations.map((operation) => 'insertOne' in operation);
  const places = operations.map((_, i) => i);
  const order = anyOrder
    ? [...places.filter((i) => inserting[i]), ...places.filter((i) => !inserting[i])]
    : places;
  const chunks: { at: number[]; inserting: boolean }[] = [];
  for (const i of order) {
    const last = chunks.at(-1);
    const limit = inserting[i] ? INSERTS_PER_REQUEST : UPDATES_PER_REQUEST;
    if (last && last.inserting === inserting[i] && last.at.length < limit) last.at.push(i);
    else chunks.push({ at: [i], inserting: inserting[i] === true });
  }
  return chunks;
}

/**
 * Writes a call's operations in bounded requests, one call at a time per store (`slot`); with
 * `updateRequestsAtOnce` above 1 the caller says that no document is in the call twice, and runs
 * of updates go that many requests at a time. The outcome of each operation, in call order.
 */
async function boundedBulkWrite<T extends { _id: string }>(
  collection: Collection<T>,
  operations: readonly AnyBulkWriteOperation<T>[],
  slot: KeyedLock,
  updateRequestsAtOnce = 1,
): Promise<OperationOutcome[]> {
  const outcomes = new Array<OperationOutcome>(operations.length);
  const write = async ({ at, inserting }: RequestChunk) => {
    const chunk = at.map((i) => operations[i] as AnyBulkWriteOperation<T>);
    let duplicates = new Set<number>();
    let result: MongoBulkWriteError['result'];
    try {
      result = await collection.bulkWrite(chunk, { ordered: false });
    } catch (error) {
      const found = duplicateKeyErrors(error);
      if (!found) throw error;
      ({ result, indexes: duplicates } = found);
    }
    const expected = chunk.length - duplicates.size;
    const done = inserting ? result.insertedCount : result.matchedCount + result.upsertedCount;
    at.forEach((place, i) => {
      outcomes[place] = duplicates.has(i) ? 'duplicate' : done >= expected ? 'written' : 'unsure';
    });
  };
  const chunks = requestChunks(operations, updateRequestsAtOnce > 1);
  for (let i = 0; i < chunks.length;) {
    const together = [chunks[i] as RequestChunk];
    while (
      !together[0]?.inserting &&
      together.length < updateRequestsAtOnce &&
      chunks[i + together.length]?.inserting === false
    )
      together.push(chunks[i + together.length] as RequestChunk);
    await slot.run(['writes'], async () => {
      const written = await Promise.allSettled(together.map(write));
      const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
      if (failed) throw failed.reason;
    });
    i += together.length;
  }
  return outcomes;
}

/**
 * Finds documents by the values of one field. FerretDB 1.x (the local stack's server) uses no
 * index for `$in` and reads the whole collection for it — about a second at 24,000 orders — while
 * it does for one value; there each value is looked up on its own, a few at once. MongoDB gets
 * one `$in`.
 */
class ValueLookups {
  private server: Promise<'ferretdb' | 'mongodb'> | undefined;

  constructor(private readonly db: Db) {}

  async find<T extends Document>(
    collection: Collection<T>,
    field: string,
    values: readonly unknown[],
    also: Filter<T> = {},
    projection?: Document,
  ): Promise<WithId<T>[]> {
    const unique = [...new Set(values)];
    if (unique.length === 0) return [];
    const options = projection ? { projection } : {};
    if (unique.length === 1 || (await this.serverKind()) === 'mongodb')
      return collection
        .find({ ...also, [field]: unique.length === 1 ? unique[0] : { $in: unique } } as Filter<T>, options)
        .toArray();
    const found: WithId<T>[] = [];
    for (let from = 0; from < unique.length; from += LOOKUPS_AT_ONCE) {
      const some = await Promise.all(
        unique
          .slice(from, from + LOOKUPS_AT_ONCE)
          .map((value) => collection.find({ ...also, [field]: value } as Filter<T>, options).toArray()),
      );
      for (const docs of some) found.push(...docs);
    }
    return found;
  }

  private serverKind(): Promise<'ferretdb' | 'mongodb'> {
    this.server ??= this.db
      .admin()
      .command({ buildInfo: 1 })
      .then((info): 'ferretdb' | 'mongodb' => ('ferretdbVersion' in info ? 'ferretdb' : 'mongodb'))
      .catch((error: unknown) => {
        this.server = undefined;
        throw error;
      });
    return this.server;
  }
}

const LOOKUPS_AT_ONCE = 16;

/**
 * Runs work on some keys at a time, in call order per key. MongoDB applies each update
 * atomically, but FerretDB 1.x (the local stack's server) reads, changes and writes a document
 * back without a lock: two updates of one order at once (a batch's change, and the join of its
 * customer from the customers topic) can lose one of them. Within a process, this keeps them
 * apart; keys are taken in sorted order, so two holders never wait for each other.
 */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const held = sorted.reduceRight<() => Promise<T>>((inner, key) => () => this.one(key, inner), work);
    return held();
  }

  private async one<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

type OrderEvent = ProjectedEvent<OrderEventType>;
type CustomerEvent = ProjectedEvent<CustomerEventType>;

interface OrderChange {
  readonly key: string;
  /** What was read; undefined for a new order. */
  readonly held: OrderHistoryDocument | undefined;
  readonly next: OrderHistoryDocument;
}

interface CustomerChange {
  readonly key: string;
  readonly next: CustomerRecord;
}

interface Plan {
  readonly orders: OrderChange[];
  readonly customers: CustomerChange[];
  /** Customers stored but not joined into their orders yet (a crash came between). */
  readonly unjoined: CustomerRecord[];
  /**
   * Every order of the batch as it stands after it, changed or not: its view is written again
   * (a view lost with Redis comes back with the replay, which changes no document).
   */
  readonly views: OrderHistoryDocument[];
}

const toRecord = (stored: StoredCustomer): CustomerRecord => ({
  customerId: stored._id,
  name: stored.name,
  email: stored.email,
  version: stored.version,
});

/** Customers seen, by id. A customer never changes once registered, so a record read stays true. */
class CustomerCache {
  private readonly records = new Map<string, CustomerRecord>();

  constructor(private readonly limit = 50_000) {}

  get(customerId: string): CustomerRecord | undefined {
    return this.records.get(customerId);
  }

  set(record: CustomerRecord): void {
    if (this.records.size >= this.limit) this.records.clear();
    this.records.set(record.customerId, record);
  }
}

/**
 * One version of the order history in MongoDB: one document per order (`orders`), plus the
 * customers it joins in (`customers`), and a checkpoint per partition (`checkpoints`). A batch is
 * read with one query per collection, folded per aggregate with the pure functions, and written
 * with one bulk request per collection, each change guarded by the version it was folded from
 * (insert for a new order, update "where version is the one read" for the next), then the
 * checkpoints. A batch of new orders is not read first: inserting finds a duplicate, and only
 * then is it read. Only operations that FerretDB 1.x supports are used.
 */
export class MongoOrderHistoryStore {
  readonly orders: Collection<StoredOrder>;
  readonly customers: Collection<StoredCustomer>;
  private readonly checkpointDocs: Collection<{ _id: string; next: number }>;
  private readonly reader: OrderHistoryReader;
  private readonly lookups: ValueLookups;
  private readonly orderLocks = new KeyedLock();
  /** Bulk writes one call at a time: see {@link UPDATES_PER_REQUEST}. */
  private readonly writeSlot = new KeyedLock();
  private readonly customerCache = new CustomerCache();
  /** Orders found to exist although their batch began with their creation: read them next time. */
  private readonly readFirst = new Set<string>();
  /** Orders as last written: not read back for their next batch. */
  private readonly written = new RecentWrites<OrderHistoryDocument>();
  /** Every partition's order writes share requests, and so do their checkpoint moves. */
  private readonly orderWrites = new SharedRequests(
    (operations: readonly AnyBulkWriteOperation<StoredOrder>[]) =>
      // An order is in one partition, and a partition has one batch in hand: never twice in a call.
      boundedBulkWrite(this.orders, operations, this.writeSlot, UPDATE_REQUESTS_AT_ONCE),
    { name: 'mongodb orders bulk write' },
  );
  private readonly checkpointWrites = new SharedRequests(
    (operations: readonly AnyBulkWriteOperation<{ _id: string; next: number }>[]) =>
      boundedBulkWrite(this.checkpointDocs, operations, this.writeSlot),
    { name: 'mongodb checkpoints bulk write' },
  );

  /** What each of the two stores held per partition when last read or moved (with views only). */
  private readonly held = { documents: new Map<string, number>(), views: new Map<string, number>() };
  /** Checkpoint moves made: a read of the checkpoints that overlapped one is older than `held`. */
  private movesMade = 0;
  /** Whether the views are known to be complete (see `orderViewKeys().complete`). */
  private viewsComplete = false;

  /**
   * Writes version `version` of the read model; its indexes are made by its catalog. With
   * `views`, every order's view is written in Redis too, after its document and before the
   * checkpoints, which both stores keep: the lower of the two is where a replay starts.
   */
  constructor(
    db: Db,
    version: number,
    private readonly views?: RedisOrderViews,
  ) {
    this.reader = new OrderHistoryReader(db, version);
    this.orders = this.reader.orders;
    this.customers = this.reader.customers;
    this.checkpointDocs = db.collection(orderHistoryCollections(version).checkpoints);
    this.lookups = new ValueLookups(db);
  }

  async order(orderId: string): Promise<OrderHistoryDocument | undefined> {
    return this.reader.order(orderId);
  }

  async checkpoints(topics: readonly string[]): Promise<Checkpoint[]> {
    const movesBefore = this.movesMade;
    const documents = await this.documentCheckpoints();
    let lower = documents;
    if (this.views) {
      const views = await this.views.checkpoints();
      if (this.movesMade === movesBefore) {
        this.held.documents = documents;
        this.held.views = views;
      }
      await this.noteViewsComplete(documents, views);
      // A partition either store has no checkpoint for is read from its start.
      lower = new Map(
        [...documents].flatMap(([field, next]) => {
          const viewed = views.get(field);
          return viewed === undefined ? [] : [[field, Math.min(next, viewed)] as const];
        }),
      );
    }
    return [...lower].flatMap(([field, next]) => {
      const at = field.lastIndexOf(':');
      const topic = field.slice(0, at);
      return topics.includes(topic) ? [{ topic, partition: Number(field.slice(at + 1)), next }] : [];
    });
  }

  private async documentCheckpoints(): Promise<Map<string, number>> {
    const stored = await this.checkpointDocs.find({}).toArray();
    return new Map(stored.map(({ _id, next }) => [_id, next]));
  }

  /**
   * Marks the views complete once they hold what the documents hold: every partition's view
   * checkpoint at or past its document checkpoint (vacuously for a new version).
   */
  private async noteViewsComplete(
    documents: ReadonlyMap<string, number>,
    views: ReadonlyMap<string, number>,
  ): Promise<void> {
    if (!this.views) return;
    const caughtUp = [...documents].every(([field, next]) => (views.get(field) ?? -1) >= next);
    this.viewsComplete = caughtUp && (await this.views.isComplete());
    if (caughtUp && !this.viewsComplete) {
      await this.views.markComplete();
      this.viewsComplete = true;
    }
  }

  async prepare(aggregates: readonly AggregateEvents[]): Promise<PreparedBatch> {
    const orders = aggregates.filter((a) => a.key.startsWith('order:'));
    const customers = aggregates.filter((a) => a.key.startsWith('customer:'));
    const idOf = (key: string) => key.slice(key.indexOf(':') + 1);
    // An order whose events start with its creation is new unless a duplicate said otherwise.
    const known = new Map<string, OrderHistoryDocument>();
    const toRead = orders
      .filter((a) => a.events[0]?.envelope.aggregateVersion !== 1 || this.readFirst.has(idOf(a.key)))
      .map((a) => idOf(a.key))
      .filter((id) => {
        const written = this.written.get(id);
        if (written) known.set(id, written);
        return !written;
      });
    const placedCustomers = orders.flatMap((a) =>
      a.events.flatMap((e) =>
        e.envelope.eventType === 'OrderPlaced'
          ? [(e.payload as EventPayloads['OrderPlaced']).customerId]
          : [],
      ),
    );
    // One request after the other: FerretDB 1.x can deadlock its PostgreSQL pool when many
    // requests wait at once while a collection is being created or dropped.
    const heldOrders = toRead.length > 0 ? await this.lookups.find(this.orders, '_id', toRead) : [];
    await this.loadCustomers(placedCustomers);
    const storedCustomers = await this.readCustomers(customers.map((a) => idOf(a.key)));
    const held = new Map([...known, ...heldOrders.map((doc) => [doc._id, fromStoredOrder(doc)] as const)]);
    // Documents written before their customer was known (rare): their customer is needed too.
    await this.loadCustomers([...held.values()].filter((d) => d.customer === null).map((d) => d.customerId));

    const plan: Plan = { orders: [], customers: [], unjoined: [], views: [] };
    const folds = new Map<string, AggregateFold>();
    for (const aggregate of customers) {
      const stored = storedCustomers.get(idOf(aggregate.key));
      const before = stored ? toRecord(stored) : undefined;
      const fold = foldEvents(before, aggregate.events as CustomerEvent[], (record, event) =>
        applyCustomerEvent(record, event.envelope, event.payload),
      );
      folds.set(aggregate.key, fold);
      if (fold.state && fold.state !== before) {
        plan.customers.push({ key: aggregate.key, next: fold.state });
        this.customerCache.set(fold.state);
      } else if (stored && before && stored.joinedVersion !== before.version) plan.unjoined.push(before);
    }
    for (const aggregate of orders) {
      const before = held.get(idOf(aggregate.key));
      const fold = foldEvents(before, aggregate.events as OrderEvent[], (doc, event) =>
        applyOrderEvent(doc, event.envelope, event.payload),
      );
      folds.set(aggregate.key, fold);
      let next = fold.state;
      if (!next) continue;
      const customer = next.customer === null ? this.customerCache.get(next.customerId) : undefined;
      if (customer) next = withCustomer(next, customer);
      if (next !== before) plan.orders.push({ key: aggregate.key, held: before, next });
      plan.views.push(next);
    }
    return {
      folds: foldsInOrder(aggregates, folds),
      write: (checkpoints) => this.write(plan, checkpoints),
    };
  }

  private async write(plan: Plan, checkpoints: readonly CheckpointMove[]): Promise<WriteOutcome> {
    const unwritten = new Map<string, Unwritten>();
    if (plan.orders.length > 0)
      await this.orderLocks.run(
        plan.orders.map((c) => c.next.orderId),
        () => this.writeOrders(plan.orders, unwritten),
      );
    if (plan.customers.length > 0) await this.writeCustomers(plan.customers);
    const joined = [...plan.customers.map((c) => c.next), ...plan.unjoined];
    const joinedOrders = joined.length > 0 ? await this.joinCustomers(joined) : [];
    // Written without their customer: it may have been stored and joined between the read and the write.
    const late = plan.orders.filter((c) => c.next.customer === null && !unwritten.has(c.key));
    const lateJoined = late.length > 0 ? await this.joinLate(late.map((c) => c.next)) : [];
    if (this.views) {
      const written = plan.views.filter((order) => !unwritten.has(`order:${order.orderId}`));
      await this.writeViews(this.views, [...written, ...lateJoined], joinedOrders);
    }
    // Only now, views included: the gateway honours a customer's token once it is marked joined.
    if (joined.length > 0) await this.markJoined(joined);
    if (unwritten.size > 0) return { unwritten, checkpointed: false, checkpointMoved: false };
    if (!(await this.moveCheckpoints(checkpoints)))
      return { unwritten, checkpointed: false, checkpointMoved: true };
    return { unwritten, checkpointed: true, checkpointMoved: false };
  }

  private async writeOrders(
    changes: readonly OrderChange[],
    unwritten: Map<string, Unwritten>,
  ): Promise<void> {
    const operations: AnyBulkWriteOperation<StoredOrder>[] = changes.map(({ held, next }) => {
      const { orderId, customer, ...fields } = next;
      if (!held) return { insertOne: { document: { _id: orderId, customer, ...fields } } };
      // The customer is set only when this change joins it: the join never races this guard.
      const set = held.customer === null && customer !== null ? { ...fields, customer } : fields;
      return { updateOne: { filter: { _id: orderId, version: held.version }, update: { $set: set } } };
    });
    const outcomes = await this.orderWrites.submit(operations);
    const unsure: OrderChange[] = [];
    changes.forEach((change, i) => {
      const id = change.next.orderId;
      this.written.delete(id);
      if (outcomes[i] === 'written') this.written.set(change.next.orderId, change.next);
      else if (outcomes[i] === 'duplicate') {
        // The order exists after all: read it before folding it again.
        this.readFirst.add(id);
        unwritten.set(change.key, { kind: 'conflict' });
      } else unsure.push(change);
    });
    if (unsure.length === 0) return;
    // Some update matched nothing: another writer moved the order. Find which, to fold them again.
    const now = await this.lookups.find(
      this.orders,
      '_id',
      unsure.map((c) => c.next.orderId),
      {},
      { _id: 1, version: 1 },
    );
    const versions = new Map(now.map((doc) => [doc._id, doc.version]));
    for (const change of unsure)
      if (versions.get(change.next.orderId) === change.next.version)
        this.written.set(change.next.orderId, change.next);
      else unwritten.set(change.key, { kind: 'conflict' });
  }

  /** Customer records, newest version wins; a racing writer with the same version is harmless. */
  private async writeCustomers(changes: readonly CustomerChange[]): Promise<void> {
    // A duplicate key: the record exists with this version or a later one, a racing delivery won.
    await boundedBulkWrite(
      this.customers,
      changes.map(({ next }) => ({
        updateOne: {
          filter: { _id: next.customerId, version: { $lt: next.version } },
          update: { $set: { name: next.name, email: next.email, version: next.version } },
          upsert: true,
        },
      })),
      this.writeSlot,
    );
  }

  /**
   * Writes the orders' views, each as given, except those joined with their customer by another
   * request meanwhile (`joinedIds`), read again; the views keep the highest rank of each.
   */
  private async writeViews(
    views: RedisOrderViews,
    orders: readonly OrderHistoryDocument[],
    joinedIds: readonly string[],
  ): Promise<void> {
    const rejoined = joinedIds.length > 0 ? await this.lookups.find(this.orders, '_id', joinedIds) : [];
    const latest = new Map(orders.map((order) => [order.orderId, order]));
    for (const stored of rejoined) latest.set(stored._id, fromStoredOrder(stored));
    await views.write([...latest.values()]);
  }

  /**
   * Completes the orders that arrived before their customers; the ids of those it completed.
   * Their customers are marked joined afterwards (see `markJoined`).
   */
  private async joinCustomers(records: readonly CustomerRecord[]): Promise<string[]> {
    const byId = new Map(records.map((r) => [r.customerId, r]));
    const waiting = await this.lookups.find(
      this.orders,
      'customerId',
      [...byId.keys()],
      { customer: null },
      { _id: 1, customerId: 1 },
    );
    if (waiting.length > 0)
      await this.orderLocks.run(
        waiting.map((o) => o._id),
        () =>
          boundedBulkWrite(
            this.orders,
            waiting.flatMap(({ _id, customerId }): AnyBulkWriteOperation<StoredOrder>[] => {
              const customer = byId.get(customerId);
              return customer
                ? [
                    {
                      updateOne: {
                        filter: { _id, customer: null },
                        update: { $set: { customer: { name: customer.name, email: customer.email } } },
                      },
                    },
                  ]
                : [];
            }),
            this.writeSlot,
          ),
      );
    return waiting.map((o) => o._id);
  }

  /** Marks each customer joined at its version: the gateway honours its token only then. */
  private async markJoined(records: readonly CustomerRecord[]): Promise<void> {
    await boundedBulkWrite(
      this.customers,
      records.map((r) => ({
        updateOne: {
          filter: { _id: r.customerId, version: r.version },
          update: { $set: { joinedVersion: r.version } },
        },
      })),
      this.writeSlot,
    );
  }

  /** Joins orders written without their customer, if it is stored now; the orders as joined. */
  private async joinLate(orders: readonly OrderHistoryDocument[]): Promise<OrderHistoryDocument[]> {
    const found = await this.readCustomers(orders.map((o) => o.customerId));
    const joinable = orders.filter((o) => found.has(o.customerId));
    if (joinable.length === 0) return [];
    await this.orderLocks.run(
      joinable.map((o) => o.orderId),
      () =>
        boundedBulkWrite(
          this.orders,
          joinable.map((o): AnyBulkWriteOperation<StoredOrder> => {
            const customer = found.get(o.customerId);
            return {
              updateOne: {
                filter: { _id: o.orderId, customer: null },
                update: { $set: { customer: { name: customer?.name ?? '', email: customer?.email ?? '' } } },
              },
            };
          }),
          this.writeSlot,
        ),
    );
    return joinable.flatMap((o) => {
      const customer = found.get(o.customerId);
      return customer ? [withCustomer(o, toRecord(customer))] : [];
    });
  }

  /**
   * Moves the checkpoints of the documents and, with views, of the views. Each store moves from
   * what it holds, which may be past the runtime's `from` (the lower of the two) after one of
   * them lost data; a store already at or past the move's `next` stays. False when a store held
   * something else than it was known to: the runtime reads the checkpoints again.
   */
  private async moveCheckpoints(moves: readonly CheckpointMove[]): Promise<boolean> {
    if (!this.views) return this.moveDocumentCheckpoints(moves);
    const fieldOf = ({ topic, partition }: CheckpointMove) => `${topic}:${partition}`;
    const plan = (held: Map<string, number>) => {
      const planned: CheckpointMove[] = [];
      for (const move of moves) {
        const known = held.has(fieldOf(move)) ? (held.get(fieldOf(move)) ?? null) : move.from;
        // Behind what the runtime was told: it lost data since, and the runtime must know.
        if (known === null ? move.from !== null : move.from !== null && known < move.from) return undefined;
        if (known === null || known < move.next) planned.push({ ...move, from: known });
      }
      return planned;
    };
    const documentMoves = plan(this.held.documents);
    const viewMoves = plan(this.held.views);
    if (!documentMoves || !viewMoves) return false;
    if (!(await this.moveDocumentCheckpoints(documentMoves))) {
      this.held.documents.clear();
      return false;
    }
    for (const move of documentMoves) this.held.documents.set(fieldOf(move), move.next);
    this.movesMade++;
    const moved = await this.views.moveCheckpoints(
      viewMoves.map((move): ViewCheckpointMove => ({
        field: fieldOf(move),
        from: move.from,
        next: move.next,
      })),
    );
    if (moved.includes(false)) {
      // Redis lost the views (or another writer moved them): read both again.
      this.held.views.clear();
      this.viewsComplete = false;
      return false;
    }
    for (const move of viewMoves) this.held.views.set(fieldOf(move), move.next);
    this.movesMade++;
    if (!this.viewsComplete)
      await this.noteViewsComplete(await this.documentCheckpoints(), await this.views.checkpoints());
    return true;
  }

  /**
   * Moves the documents' checkpoints, in one write, where the store still holds the expected ones; false
   * when one of them had moved elsewhere (that one is left as it was).
   */
  private async moveDocumentCheckpoints(moves: readonly CheckpointMove[]): Promise<boolean> {
    if (moves.length === 0) return true;
    const idOf = ({ topic, partition }: CheckpointMove) => `${topic}:${partition}`;
    const outcomes = await this.checkpointWrites.submit(
      moves.map((move): AnyBulkWriteOperation<{ _id: string; next: number }> => {
        const _id = idOf(move);
        return move.from === null
          ? { insertOne: { document: { _id, next: move.next } } }
          : { updateOne: { filter: { _id, next: move.from }, update: { $set: { next: move.next } } } };
      }),
    );
    if (outcomes.includes('duplicate')) return false;
    const unsure = moves.filter((_, i) => outcomes[i] === 'unsure');
    if (unsure.length === 0) return true;
    const now = await this.checkpointDocs.find({ _id: { $in: unsure.map(idOf) } }).toArray();
    const stored = new Map(now.map((doc) => [doc._id, doc.next]));
    return unsure.every((move) => stored.get(idOf(move)) === move.next);
  }

  /** Customers not known yet, read into the cache. */
  private async loadCustomers(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.customerCache.get(id));
    if (missing.length === 0) return;
    for (const stored of (await this.readCustomers(missing)).values())
      this.customerCache.set(toRecord(stored));
  }

  private async readCustomers(ids: readonly string[]): Promise<Map<string, StoredCustomer>> {
    if (ids.length === 0) return new Map();
    const found = await this.lookups.find(this.customers, '_id', ids);
    return new Map(found.map((c) => [c._id, c]));
  }

  /** Applies one event on its own (tests, tools): the batch path with a batch of one. */
  async applyEvent<T extends EventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    return (await applyOne(this, { envelope, payload } as unknown as ProjectedEvent)) as StoreOutcome;
  }
}
