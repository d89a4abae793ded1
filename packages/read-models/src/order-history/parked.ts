import type { ParkedAggregates } from '../writing/contract.js';
import { orderHistoryCollections } from './layout.js';
import type { Collection, Db } from 'mongodb';

/** Parked aggregates of the order-history projection, in a collection beside its documents. */
export class MongoParkedAggregates implements ParkedAggregates {
  private readonly parked: Collection<{ _id: string; reason: string }>;

  constructor(db: Db, version: number) {
    this.parked = db.collection(orderHistoryCollections(version).parked);
  }

  async isParked(aggregateKey: string): Promise<boolean> {
    return (await this.parked.countDocuments({ _id: aggregateKey }, { limit: 1 })) > 0;
  }

  async park(aggregateKey: string, reason: string): Promise<void> {
    // The first reason is the cause; later events only queue up behind it.
    await this.parked.updateOne({ _id: aggregateKey }, { $setOnInsert: { reason } }, { upsert: true });
  }

  async unpark(aggregateKey: string): Promise<void> {
    await this.parked.deleteOne({ _id: aggregateKey });
  }

  async list(): Promise<{ aggregateKey: string; reason: string }[]> {
    const rows = await this.parked.find().sort({ _id: 1 }).toArray();
    return rows.map((row) => ({ aggregateKey: row._id, reason: row.reason }));
  }
}
