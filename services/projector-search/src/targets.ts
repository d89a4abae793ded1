import type { Client } from '@elastic/elasticsearch';
import type { ProjectionTargets } from '@cqrs-shop/projector';
import { SearchTargets } from '@cqrs-shop/read-models';
import { ElasticsearchParkedAggregates } from './adapters/elasticsearch-parked-aggregates.js';
import { ElasticsearchSearchStore } from './adapters/elasticsearch-search-store.js';
import { searchProjection } from './search-projection.js';

/**
 * The search projection: its name, the aggregate types whose topics it reads, and of those the
 * ones its documents are joined with (taken in first when it takes in history).
 */
export const SEARCH_PROJECTION = {
  name: 'search',
  reads: ['customer', 'product', 'order'],
  readsFirst: ['customer'],
} as const;

/** The versions of the search read model: indices under one prefix. */
export function searchTargets(es: Client, indexPrefix: string): ProjectionTargets {
  return {
    catalog: new SearchTargets(es, indexPrefix),
    open: (version) => ({
      projection: searchProjection(new ElasticsearchSearchStore(es, indexPrefix, version)),
      parked: new ElasticsearchParkedAggregates(es, indexPrefix, version),
    }),
  };
}
