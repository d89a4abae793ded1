import type { Redis } from 'ioredis';
import { type Db, MongoServerError } from 'mongodb';
import { ORDER_HISTORY_VERSIONS_COLLECTION, orderHistoryCollections, orderViewKeys } from './layout.js';
import { unlinkMatching } from '../redis-keys.js';
import { assertVersion, type VersionCatalog, type VersionRecord } from '../versions.js';

/** The pointer (`_id: "live"`) or one version's record (`_id: "v<N>"`). */
interface StoredVersion {
  _id: string;
  kind: 'live' | 'target';
  version?: number;
  record?: VersionRecord;
}

const DUPLICATE_KEY = 11_000;
const LIVE_ID = 'live';
const recordId = (version: number) => `v${version}`;

/** Where a version's order views live in Redis. */
export interface OrderViewStore {
  readonly redis: Redis;
  readonly keyPrefix: string;
}

/**
 * Order-history versions: one document per version and the pointer document, in one
 * collection. With `views`, dropping a version deletes its order views in Redis too.
 */
export class OrderHistoryVersions implements VersionCatalog {
  constructor(
    private readonly db: Db,
    private readonly views?: OrderViewStore,
  ) {}

  private get collection() {
    return this.db.collection<StoredVersion>(ORDER_HISTORY_VERSIONS_COLLECTION);
  }

  async liveVersion(): Promise<number | null> {
    const found = await this.collection.findOne({ _id: LIVE_ID });
    return found?.kind === 'live' ? (found.version ?? null) : null;
  }

  async records(): Promise<VersionRecord[]> {
    const found = await this.collection.find({ kind: 'target' }).toArray();
    return found.flatMap((doc) => (doc.record ? [doc.record] : [])).sort((a, b) => a.version - b.version);
  }

  async save(record: VersionRecord): Promise<void> {
    assertVersion(record.version);
    await this.collection.replaceOne(
      { _id: recordId(record.version) },
      { kind: 'target', record },
      { upsert: true },
    );
  }

  /** Indexes for "a customer's orders, newest first" (cursor pagination) and the join. */
  async create(version: number): Promise<void> {
    assertVersion(version);
    const names = orderHistoryCollections(version);
    await this.db
      .collection(names.orders)
      .createIndexes([
        { key: { customerId: 1, placedAt: -1, _id: -1 }, name: 'customer_orders_newest_first' },
      ]);
    // Explicitly, so that an empty version exists (listed, readable) before its first event.
    for (const name of [names.customers, names.parked])
      await this.db.createCollection(name).catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.codeName === 'NamespaceExists')) throw error;
      });
  }

  async switchLive(version: number, expected: number | null): Promise<boolean> {
    assertVersion(version);
    if (expected === null) {
      try {
        await this.collection.insertOne({ _id: LIVE_ID, kind: 'live', version });
        return true;
      } catch (error) {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
        throw error;
      }
    }
    // One document holds the pointer: the update is the atomic switch.
    const result = await this.collection.updateOne(
      { _id: LIVE_ID, kind: 'live', version: expected },
      { $set: { version } },
    );
    return result.modifiedCount === 1;
  }

  /** Every write is visible to reads at once. */
  async settle(version: number): Promise<void> {
    assertVersion(version);
    await Promise.resolve();
  }

  async drop(version: number): Promise<void> {
    assertVersion(version);
    if ((await this.liveVersion()) === version)
      throw new Error(`order-history version ${version} is live and cannot be dropped`);
    for (const name of Object.values(orderHistoryCollections(version)))
      await this.db.dropCollection(name).catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.codeName === 'NamespaceNotFound')) throw error;
      });
    // A version holds a view per order.
    if (this.views)
      await unlinkMatching(this.views.redis, orderViewKeys(this.views.keyPrefix, version).pattern);
    await this.collection.deleteOne({ _id: recordId(version) });
  }
}
