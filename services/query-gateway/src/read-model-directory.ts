import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { HttpProblem } from '@cqrs-shop/http';
import {
  AnalyticsReader,
  AnalyticsVersions,
  describeVersions,
  OrderHistoryReader,
  OrderHistoryVersions,
  OrderViewsReader,
  SearchReader,
  SearchVersions,
  type VersionCatalog,
  type VersionRecord,
} from '@cqrs-shop/read-models';
import type { Redis } from 'ioredis';
import type { MongoClient } from 'mongodb';
import type { Readers } from './http/routes.js';
import type { ReadModelName } from './store-guard.js';

/** A value read again once it is older than `ttlMs`; concurrent readers share one read. */
class Cached<T> {
  private value: { at: number; value: T } | undefined;
  private pending: Promise<T> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly read: () => Promise<T>,
  ) {}

  async get(): Promise<T> {
    if (this.value && Date.now() - this.value.at < this.ttlMs) return this.value.value;
    this.pending ??= this.read()
      .then((value) => {
        this.value = { at: Date.now(), value };
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

/** Which version a request reads: the live one, or one it names (`modelVersion`). */
export type VersionChoice = number | 'live';

export interface ChosenReaders {
  readonly readers: Readers;
  /** The version that answers (for the live search model, the one its aliases point at). */
  readonly version: number | null;
}

/**
 * The readers of every version of the three read models. Reads go to the live version unless a
 * request names another (a point-in-time version, say). The live pointer is read at most every
 * `pointerTtlMs`, so a switch reaches the gateway within that time; each request then reads one
 * version throughout, never a mix.
 */
export class ReaderDirectory {
  private readonly catalogs: Readonly<Record<ReadModelName, VersionCatalog>>;
  private readonly live: Readonly<Record<ReadModelName, Cached<number | null>>>;
  private readonly records: Readonly<Record<ReadModelName, Cached<VersionRecord[]>>>;
  private readonly liveSearch: SearchReader;
  private readonly readers = new Map<string, Readers[ReadModelName]>();
  private lastLive: Record<ReadModelName, number> = { 'order-history': 1, search: 1, analytics: 1 };

  constructor(
    private readonly stores: {
      readonly mongo: MongoClient;
      readonly mongoDatabase: string;
      readonly es: ElasticsearchClient;
      readonly indexPrefix: string;
      readonly redis: Redis;
      readonly keyPrefix: string;
    },
    pointerTtlMs = 500,
  ) {
    const db = () => stores.mongo.db(stores.mongoDatabase);
    this.catalogs = {
      'order-history': new OrderHistoryVersions(db(), { redis: stores.redis, keyPrefix: stores.keyPrefix }),
      search: new SearchVersions(stores.es, stores.indexPrefix),
      analytics: new AnalyticsVersions(stores.redis, stores.keyPrefix),
    };
    const cache = <T>(ttl: number, read: (catalog: VersionCatalog) => Promise<T>) =>
      Object.fromEntries(
        (Object.keys(this.catalogs) as ReadModelName[]).map((name) => [
          name,
          new Cached(ttl, () => read(this.catalogs[name])),
        ]),
      ) as Record<ReadModelName, Cached<T>>;
    this.live = cache(pointerTtlMs, (catalog) => catalog.liveVersion());
    this.records = cache(1_000, (catalog) => catalog.records());
    this.liveSearch = new SearchReader(stores.es, stores.indexPrefix, 'live');
  }

  /**
   * The readers for a request on `readModel`: that model at the chosen version (404 for a version
   * it does not have); the others at their last known live version (a route reads only its own).
   */
  async choose(readModel: ReadModelName, choice: VersionChoice): Promise<ChosenReaders> {
    const version =
      choice === 'live' ? await this.liveVersion(readModel) : await this.existing(readModel, choice);
    const readers = this.readersAt({ ...this.lastLive, [readModel]: version ?? 1 });
    // The live search model is read through its aliases: a switch is atomic even within the TTL.
    return {
      readers:
        choice === 'live' && readModel === 'search' ? { ...readers, search: this.liveSearch } : readers,
      version,
    };
  }

  /** Every version of a read model with its state, for `GET /projections`. */
  async versions(
    readModel: ReadModelName,
  ): Promise<{ liveVersion: number | null; versions: VersionRecord[] }> {
    const [live, records] = await Promise.all([this.live[readModel].get(), this.records[readModel].get()]);
    return { liveVersion: live, versions: describeVersions(records, live) };
  }

  private async liveVersion(readModel: ReadModelName): Promise<number | null> {
    const live = await this.live[readModel].get();
    if (live !== null) this.lastLive = { ...this.lastLive, [readModel]: live };
    return live;
  }

  private async existing(readModel: ReadModelName, version: number): Promise<number> {
    const records = await this.records[readModel].get();
    if (!records.some((r) => r.version === version))
      throw new HttpProblem({
        code: 'read-model-version-not-found',
        status: 404,
        title: 'No such read-model version',
        detail: `The ${readModel} read model has no version ${version}; GET /projections lists them`,
        extensions: { readModel, modelVersion: version },
      });
    return version;
  }

  private readersAt(versions: Readonly<Record<ReadModelName, number>>): Readers {
    const { mongo, mongoDatabase, es, indexPrefix, redis, keyPrefix } = this.stores;
    return {
      'order-history': this.reader(
        'order-history',
        versions['order-history'],
        // Orders and pages are served from the views in Redis while they are complete.
        (v) => new OrderHistoryReader(mongo.db(mongoDatabase), v, new OrderViewsReader(redis, keyPrefix, v)),
      ),
      search: this.reader('search', versions.search, (v) => new SearchReader(es, indexPrefix, v)),
      analytics: this.reader(
        'analytics',
        versions.analytics,
        (v) => new AnalyticsReader(redis, keyPrefix, v),
      ),
    };
  }

  /** Readers are made once per version: every request reads through the same objects. */
  private reader<M extends ReadModelName>(
    model: M,
    version: number,
    make: (version: number) => Readers[M],
  ): Readers[M] {
    const key = `${model}:${version}`;
    let found = this.readers.get(key) as Readers[M] | undefined;
    if (!found) {
      found = make(version);
      this.readers.set(key, found);
    }
    return found;
  }
}
