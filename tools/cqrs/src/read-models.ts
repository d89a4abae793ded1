// The three projections as the CLI drives them: each one's topics and versions, on clients
// opened from the same settings the services use.
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import {
  elasticsearchSection,
  kafkaSection,
  loadConfig,
  mongodbSection,
  redisSection,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';
import { type AggregateType, deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createKafkaClients, type KafkaClients } from '@cqrs-shop/kafka';
import type { Logger } from '@cqrs-shop/logging';
import type { ProjectionTargets } from '@cqrs-shop/projector';
import { ANALYTICS_PROJECTION, analyticsTargets } from '@cqrs-shop/projector-analytics';
import { ORDER_HISTORY_PROJECTION, orderHistoryTargets } from '@cqrs-shop/projector-order-history';
import { SEARCH_PROJECTION, searchTargets } from '@cqrs-shop/projector-search';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import type { ProjectionName } from './args.js';

const relaySection = section(
  {
    /** The outbox relay's HTTP endpoint: `projections list` shows the outbox backlog from its `/stats`. */
    RELAY_URL: variable.url({ protocols: ['http:', 'https:'], default: 'http://127.0.0.1:3010' }),
  },
  (v) => ({ url: v.RELAY_URL }),
);

export function loadCliConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(
    {
      runtime: runtimeSection,
      kafka: kafkaSection,
      mongodb: mongodbSection,
      elasticsearch: elasticsearchSection,
      redis: redisSection,
      relay: relaySection,
    },
    env,
  );
}

export type CliConfig = ReturnType<typeof loadCliConfig>;

/** One projection: what it reads, where its dead letters go, and its versions. */
export interface ProjectionHandle {
  readonly name: ProjectionName;
  readonly topics: readonly string[];
  readonly deadLetterTopic: string;
  readonly targets: ProjectionTargets;
}

export interface Shop {
  readonly kafka: KafkaClients;
  /** Where the outbox relay answers `/stats`. */
  readonly relayUrl: string;
  projection(name: ProjectionName): ProjectionHandle;
  close(): Promise<void>;
}

/** Clients for every store, connecting on first use: a command on one projection touches only its store. */
export function openShop(config: CliConfig, logger: Logger): Shop {
  const kafka = createKafkaClients(config.kafka, logger);
  const mongo = new MongoClient(config.mongodb.url, { serverSelectionTimeoutMS: 5_000 });
  const es = new ElasticsearchClient({ node: config.elasticsearch.url, requestTimeout: 30_000 });
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const topics = eventTopics(config.kafka.topicPrefix);
  const handle = (
    definition: { name: ProjectionName; reads: readonly AggregateType[] },
    targets: ProjectionTargets,
  ): ProjectionHandle => ({
    name: definition.name,
    topics: definition.reads.map((type) => topics[type]),
    deadLetterTopic: deadLetterTopicFor(definition.name, config.kafka.topicPrefix),
    targets,
  });
  return {
    kafka,
    relayUrl: config.relay.url,
    projection(name) {
      switch (name) {
        case 'order-history':
          return handle(ORDER_HISTORY_PROJECTION, orderHistoryTargets(mongo.db(config.mongodb.database)));
        case 'search':
          return handle(SEARCH_PROJECTION, searchTargets(es, config.elasticsearch.indexPrefix));
        case 'analytics':
          return handle(ANALYTICS_PROJECTION, analyticsTargets(redis, config.redis.keyPrefix));
      }
    },
    async close() {
      await kafka.close();
      redis.disconnect();
      await Promise.allSettled([mongo.close(), es.close()]);
    },
  };
}
