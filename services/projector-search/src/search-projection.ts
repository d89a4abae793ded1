import { type Projection, storeProjection } from '@cqrs-shop/projector';
import { errors } from '@elastic/elasticsearch';
import type { ElasticsearchSearchStore } from './adapters/elasticsearch-search-store.js';

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
