import type { EventPayloads } from '@cqrs-shop/events';
import {
  applyCustomerEvent,
  applyOrderEvent,
  type CustomerEventType,
  type CustomerRecord,
  type EnvelopeOf,
  isRejection,
  type OrderEventType,
  type OrderHistoryDocument,
  type Rejection,
} from '@cqrs-shop/projections';
import { OrderHistoryReader, type StoredCustomer, type StoredOrder } from '@cqrs-shop/read-models';
import { type Collection, type Db, MongoServerError } from 'mongodb';

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

const DUPLICATE_KEY = 11_000;

/**
 * Runs work on one key at a time, in call order. MongoDB applies each update atomically, but
 * FerretDB 1.x (the local stack's server) reads, changes and writes a document back without a
 * lock: two updates of one order at once (its next event, and the join of its customer from the
 * customers topic) can lose one of them. Within a process, this keeps them apart.
 */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
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
const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === DUPLICATE_KEY;

/**
 * One version of the order history in MongoDB: one document per order (`orders`), plus the customers it joins in
 * (`customers`). Writes are guarded by the aggregate version (insert for the first, update
 * "where version is the one read" for the next), so redelivery, replay and racing deliveries
 * change nothing twice. Only operations that FerretDB 1.x supports are used.
 */
export class MongoOrderHistoryStore {
  readonly orders: Collection<StoredOrder>;
  readonly customers: Collection<StoredCustomer>;
  private readonly reader: OrderHistoryReader;
  private readonly orderLocks = new KeyedLock();

  /** Writes version `version` of the read model; its indexes are made by its catalog. */
  constructor(db: Db, version: number) {
    this.reader = new OrderHistoryReader(db, version);
    this.orders = this.reader.orders;
    this.customers = this.reader.customers;
  }

  async order(orderId: string): Promise<OrderHistoryDocument | undefined> {
    return this.reader.order(orderId);
  }

  async applyOrderEvent<T extends OrderEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    return this.orderLocks.run(envelope.aggregateId, () => this.applyOrderEventAlone(envelope, payload));
  }

  private async applyOrderEventAlone<T extends OrderEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const previous = await this.order(envelope.aggregateId);
      const next = applyOrderEvent(previous, envelope, payload);
      if (next === undefined) {
        // A crash may have come between writing the order and joining its customer.
        if (previous?.customer === null) await this.joinCustomerInto(previous.orderId, previous.customerId);
        return 'already-applied';
      }
      if (isRejection(next)) return next;
      const { orderId, customer, ...fields } = next;
      if (!previous) {
        try {
          await this.orders.insertOne({ _id: orderId, customer: null, ...fields });
        } catch (error) {
          if (isDuplicateKey(error)) continue;
          throw error;
        }
      } else {
        // The customer is left alone: the join writes it, never racing this version guard.
        const result = await this.orders.updateOne(
          { _id: orderId, version: previous.version },
          { $set: fields },
        );
        if (result.matchedCount === 0) continue;
      }
      // Once joined, a document keeps its customer: only a new or unjoined one needs the join.
      if (!previous || previous.customer === null) await this.joinCustomerInto(orderId, next.customerId);
      return 'applied';
    }
    throw new Error(
      `order ${envelope.aggregateId} kept changing while version ${envelope.aggregateVersion} was applied`,
    );
  }

  async applyCustomerEvent<T extends CustomerEventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    const stored = await this.customers.findOne({ _id: envelope.aggregateId });
    const previous = stored
      ? { customerId: stored._id, name: stored.name, email: stored.email, version: stored.version }
      : undefined;
    const next = applyCustomerEvent(previous, envelope, payload);
    if (next === undefined) {
      // A crash may have come between storing the customer and joining it: finish the join.
      if (previous && stored?.joinedVersion !== previous.version) await this.joinCustomer(previous);
      return 'already-applied';
    }
    if (isRejection(next)) return next;
    try {
      await this.customers.updateOne(
        { _id: next.customerId, version: { $lt: next.version } },
        { $set: { name: next.name, email: next.email, version: next.version } },
        { upsert: true },
      );
    } catch (error) {
      // The record exists with this version or a later one: a racing delivery won.
      if (!isDuplicateKey(error)) throw error;
    }
    await this.joinCustomer(next);
    return 'applied';
  }

  /**
   * Completes the orders that arrived before their customer, then marks the customer joined at
   * its version: the gateway honours a customer's consistency token only once it is.
   */
  private async joinCustomer(customer: CustomerRecord): Promise<void> {
    const waiting = await this.orders
      .find({ customerId: customer.customerId, customer: null }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of waiting)
      await this.orderLocks.run(_id, () =>
        this.orders.updateOne(
          { _id, customer: null },
          { $set: { customer: { name: customer.name, email: customer.email } } },
        ),
      );
    await this.customers.updateOne(
      { _id: customer.customerId, version: customer.version },
      { $set: { joinedVersion: customer.version } },
    );
  }

  private async joinCustomerInto(orderId: string, customerId: string): Promise<void> {
    const customer = await this.customers.findOne({ _id: customerId });
    if (!customer) return;
    await this.orders.updateOne(
      { _id: orderId, customer: null },
      { $set: { customer: { name: customer.name, email: customer.email } } },
    );
  }
}
