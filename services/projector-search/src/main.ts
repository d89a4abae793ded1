import { Client } from '@elastic/elasticsearch';
import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createHttpApp, listen } from '@cqrs-shop/http';
import { createKafkaClients } from '@cqrs-shop/kafka';
import { runService } from '@cqrs-shop/lifecycle';
import { projectionRoutes, Projector } from '@cqrs-shop/projector';
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
    const kafka = createKafkaClients(config.kafka, logger);
    lifecycle.onStop('kafka clients', () => kafka.close());

    const topics = eventTopics(config.kafka.topicPrefix);
    const parked = new ElasticsearchParkedAggregates(es, config.elasticsearch.indexPrefix);
    const projector = new Projector({
      name: 'search',
      groupId: config.projector.groupId,
      topics: [topics.customer, topics.product, topics.order],
      deadLetterTopic: deadLetterTopicFor('search', config.kafka.topicPrefix),
      kafka,
      logger,
      projection: searchProjection(store),
      parked,
      attempts: config.projector.attempts,
    });
    await projector.start();
    lifecycle.onStop('projector', () => projector.stop());

    const app = createHttpApp({
      logger,
      bodyLimitBytes: config.http.bodyLimitBytes,
      readiness: [
        {
          name: 'elasticsearch',
          // The minimal distribution has no root endpoint (and so no ping): ask the cluster's health.
          check: async () => {
            await es.cluster.health({ timeout: '1s' });
          },
        },
      ],
      routes: projectionRoutes(projector, parked),
    });
    const server = await listen(app, config.http, lifecycle);
    logger.info({ port: server.port }, 'search projector listening');
  },
});
