// The read models as the CLI drives them: each one's topics (from the service registry) and
// versions (from the read-models package), on clients opened from the settings the services use.
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
import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createKafkaClients, type KafkaClients } from '@cqrs-shop/kafka';
import type { Logger } from '@cqrs-shop/logging';
import { type ProjectionVersions, readModelVersions, type ReadModelStores } from '@cqrs-shop/read-models';
import {
  type ProjectionEntry,
  type ProjectionName,
  projectorOf,
  serviceUrlsSection,
} from '@cqrs-shop/service-registry';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';

const rebuildSection = section(
  {
    /** How often a rebuild records its progress and reports it. @default 1s */
    REBUILD_PROGRESS_INTERVAL: variable.duration({ default: 1_000, max: 60_000 }),
  },
  (v) => ({ progressIntervalMs: v.REBUILD_PROGRESS_INTERVAL }),
);

/** The variable that says where a projector answers, for messages. */
export const projectorUrlVariable = (name: ProjectionName): string => projectorOf(name).urlVariable;

export function loadCliConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(
    {
      runtime: runtimeSection,
      kafka: kafkaSection,
      mongodb: mongodbSection,
      elasticsearch: elasticsearchSection,
      redis: redisSection,
      // Where the relay (`projections list`) and the projectors (`projections redrive`) answer; no
      // defaults (in a checkout, scripts/with-local-stack gives the local services').
      endpoints: serviceUrlsSection({ localDefaults: false }),
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
  readonly versions: ProjectionVersions;
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
  const stores: ReadModelStores = {
    mongo: () => mongo.db(config.mongodb.database),
    es,
    redis,
    indexPrefix: config.elasticsearch.indexPrefix,
    keyPrefix: config.redis.keyPrefix,
  };
  const handle = (name: ProjectionName, versions: ProjectionVersions): ProjectionHandle => {
    const { reads, readsFirst = [] }: ProjectionEntry = projectorOf(name).projection;
    return {
      name,
      topics: reads.map((type) => topics[type]),
      readFirst: readsFirst.map((type) => topics[type]),
      deadLetterTopic: deadLetterTopicFor(name, config.kafka.topicPrefix),
      versions,
    };
  };
  return {
    kafka,
    relayUrl: config.endpoints.relay,
    projectorUrls: config.endpoints.projectors,
    projection: (name) => handle(name, readModelVersions(name, stores)),
    async close() {
      await kafka.close();
      redis.disconnect();
      await Promise.allSettled([mongo.close(), es.close()]);
    },
  };
}
