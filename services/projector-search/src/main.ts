import { Client } from '@elastic/elasticsearch';
import { runService } from '@cqrs-shop/lifecycle';
import { startProjectorService } from '@cqrs-shop/projector';
import { ElasticsearchParkedAggregates } from './adapters/elasticsearch-parked-aggregates.js';
import { ElasticsearchSearchStore } from './adapters/elasticsearch-search-store.js';
import { loadSearchConfig } from './config.js';
import { searchProjection } from './search-projection.js';

void runService({
  name: 'projector-search',
  loadConfig: () => loadSearchConfig(process.env),
  async start({ config, logger, lifecycle }) {
    const es = new Client({ node: config.elasticsearch.url, requestTimeout: 10_000 });
    lifecycle.onStop('elasticsearch', () => es.close());
    const store = new ElasticsearchSearchStore(es, config.elasticsearch.indexPrefix);
    await store.ensureIndices();
    await startProjectorService({
      name: 'search',
      reads: ['customer', 'product', 'order'],
      projection: searchProjection(store),
      parked: new ElasticsearchParkedAggregates(es, config.elasticsearch.indexPrefix),
      readiness: {
        name: 'elasticsearch',
        // The minimal distribution has no root endpoint (and so no ping): ask the cluster's health.
        check: async () => {
          await es.cluster.health({ timeout: '1s' });
        },
      },
      config,
      logger,
      lifecycle,
    });
  },
});
