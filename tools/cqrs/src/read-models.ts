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

// No defaults: a deployed CLI has no business guessing addresses (in a checkout,
// scripts/with-local-stack gives the local services').
const httpUrl = () => variable.url({ protocols: ['http:', 'https:'], default: '' });
const endpointsSection = section(
  {
    /** The outbox relay's HTTP endpoint: `projections list` shows the outbox backlog from its `/stats`. */
    RELAY_URL: httpUrl(),
    /** The projectors' HTTP endpoints (any replica), which `projections redrive` asks. */
    ORDER_HISTORY_PROJECTOR_URL: httpUrl(),
    SEARCH_PROJECTOR_URL: httpUrl(),
    ANALYTICS_PROJECTOR_URL: httpUrl(),
  },
  (v) => ({
    relay: v.RELAY_URL,
    projectors: {
      'order-history': v.ORDER_HISTORY_PROJECTOR_URL,
      search: v.SEARCH_PROJECTOR_URL,
      analytics: v.ANALYTICS_PROJECTOR_URL,
    } satisfies Record<ProjectionName, string>,
  }),
);

const rebuildSection = section(
  {
    /** How often a rebuild records its progress and reports it. @default 1s */
    REBUILD_PROGRESS_INTERVAL: variable.duration({ default: 1_000, max: 60_000 }),
  },
  (v) => ({ progressIntervalMs: v.REBUILD_PROGRESS_INTERVAL }),
);

/** The variable that says where a projector answers, for messages. */
export const PROJECTOR_URL_VARIABLES: Record<ProjectionName, string> = {
  'order-history': 'ORDER_HISTORY_PROJECTOR_URL',
  search: 'SEARCH_PROJECTOR_URL',
  analytics: 'ANALYTICS_PROJECTOR_URL',
};

export function loadCliConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(
    {
      runtime: runtimeSection,
      kafka: kafkaSection,
      mongodb: mongodbSection,
      elasticsearch: elasticsearchSection,
      redis: redisSection,
      endpoints: endpointsSection,
      rebuild: rebuildSection,
    },
    env,
  );
}

export type CliConfig = ReturnType<typeof loadCliConfig>;

/** One projection: what it reads, where its dead letters go, and its versions. */
export interface ProjectionHandle {
  readonly name: ProjectionName;
  readonly topics: readonly string[];
  /** Of its topics, those a replay takes in before the others (see ProjectorOptions.readFirst). */
  readonly readFirst: readonly string[];
  readonly deadLetterTopic: string;
  readonly targets: ProjectionTargets;
}

export interface Shop {
  readonly kafka: KafkaClients;
  /** Where the outbox relay answers `/stats` ('' when not set). */
  readonly relayUrl: string;
  /** Where each projector answers (any replica of it; '' when not set). */
  readonly projectorUrls: Readonly<Record<ProjectionName, string>>;
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
    definition: {
      name: ProjectionName;
      reads: readonly AggregateType[];
      readsFirst?: readonly AggregateType[];
    },
    targets: ProjectionTargets,
  ): ProjectionHandle => ({
    name: definition.name,
    topics: definition.reads.map((type) => topics[type]),
    readFirst: (definition.readsFirst ?? []).map((type) => topics[type]),
    deadLetterTopic: deadLetterTopicFor(definition.name, config.kafka.topicPrefix),
    targets,
  });
  return {
    kafka,
    relayUrl: config.endpoints.relay,
    projectorUrls: config.endpoints.projectors,
    projection(name) {
      switch (name) {
        case 'order-history':
          return handle(
            ORDER_HISTORY_PROJECTION,
            orderHistoryTargets(mongo.db(config.mongodb.database), {
              redis,
              keyPrefix: config.redis.keyPrefix,
            }),
          );
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
