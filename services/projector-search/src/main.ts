// First: tracing must be set up before the libraries it instruments are loaded.
import { telemetry } from './telemetry.js';
import { Client } from '@elastic/elasticsearch';
import { runService } from '@cqrs-shop/lifecycle';
import { startProjectorService } from '@cqrs-shop/projector';
import { loadServiceConfig } from './config.js';
import { searchVersions } from '@cqrs-shop/read-models';
import { service } from '@cqrs-shop/service-registry';

const SERVICE = service('projector-search');

void runService({
  name: SERVICE.name,
  loadConfig: () => loadServiceConfig(process.env),
  async start({ config, logger, lifecycle }) {
    // Registered first, so closed last: spans of the shutdown itself are still sent.
    lifecycle.onStop('telemetry', telemetry.shutdown);
    const es = new Client({ node: config.elasticsearch.url, requestTimeout: 10_000 });
    lifecycle.onStop('elasticsearch', () => es.close());
    await startProjectorService({
      ...SERVICE.projection,
      versions: searchVersions(es, config.elasticsearch.indexPrefix),
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
