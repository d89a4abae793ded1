import type { Client } from '@elastic/elasticsearch';
import type { ProjectionName } from '@cqrs-shop/service-registry';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { analyticsVersions } from './analytics/projection.js';
import { orderHistoryVersions } from './order-history/projection.js';
import { searchVersions } from './search/projection.js';
import type { ProjectionVersions } from './writing/contract.js';

/** The stores every read model lives in, for a tool that opens any of them (the `cqrs` CLI). */
export interface ReadModelStores {
  /** Called only by the read models in MongoDB, so that the others need no connection to it. */
  readonly mongo: () => Db;
  readonly es: Client;
  readonly redis: Redis;
  readonly indexPrefix: string;
  readonly keyPrefix: string;
}

/** Each read model's versions, by the name its projector's registry entry gives it. */
const READ_MODELS: Record<ProjectionName, (stores: ReadModelStores) => ProjectionVersions> = {
  'order-history': (stores) =>
    orderHistoryVersions(stores.mongo(), { redis: stores.redis, keyPrefix: stores.keyPrefix }),
  search: (stores) => searchVersions(stores.es, stores.indexPrefix),
  analytics: (stores) => analyticsVersions(stores.redis, stores.keyPrefix),
};

/** The versions of a read model (its catalog, and a writer for each). */
export function readModelVersions(name: ProjectionName, stores: ReadModelStores): ProjectionVersions {
  return READ_MODELS[name](stores);
}
