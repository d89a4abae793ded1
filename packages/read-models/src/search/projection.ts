import { type Client, errors } from '@elastic/elasticsearch';
import type { Projection, ProjectionVersions } from '../writing/contract.js';
import { storeProjection } from '../writing/store-projection.js';
import { SearchVersions } from './catalog.js';
import { ElasticsearchParkedAggregates } from './parked.js';
import { ElasticsearchSearchStore } from './store.js';

/** The search read model as the projector runtime drives it: orders, products, and customers for the join. */
export function searchProjection(store: ElasticsearchSearchStore): Projection {
  return storeProjection(
    store,
    'Elasticsearch',
    (error) =>
      error instanceof errors.ConnectionError ||
      error instanceof errors.TimeoutError ||
      error instanceof errors.NoLivingConnectionsError,
  );
}

/** The versions of the search read model: indices under one prefix. */
export function searchVersions(es: Client, indexPrefix: string): ProjectionVersions {
  return {
    catalog: new SearchVersions(es, indexPrefix),
    open: (version) => ({
      projection: searchProjection(new ElasticsearchSearchStore(es, indexPrefix, version)),
      parked: new ElasticsearchParkedAggregates(es, indexPrefix, version),
    }),
  };
}
