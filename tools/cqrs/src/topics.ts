// The topics of the suite, as the topic job creates them.
import {
  type Environment,
  kafkaSection,
  loadConfig,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';
import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { deadLetterTopicSpec, eventTopicSpec, type TopicSpec } from '@cqrs-shop/kafka';
import { DEAD_LETTER_RETENTION_MS } from '@cqrs-shop/projector';
import { PROJECTION_NAMES } from './args.js';

/** Kafka's way of asking for the broker's own default.replication.factor. */
const BROKER_DEFAULT = -1;

export const topicsSection = section(
  {
    /** Partitions of each event topic: the most consumers a projection can spread over. @default 6 */
    TOPIC_PARTITIONS: variable.integer({ min: 1, max: 1_000, default: 6 }),
    /** Copies of each partition (3 on a production cluster). @default the broker's default.replication.factor */
    TOPIC_REPLICATION_FACTOR: variable.integer({ min: 1, max: 16, default: BROKER_DEFAULT }),
    /** How long the dead-letter topics keep parked events (0: forever), as the projectors set it. @default 720h */
    DEAD_LETTER_RETENTION: variable.duration({ default: DEAD_LETTER_RETENTION_MS }),
  },
  (v) => ({
    partitions: v.TOPIC_PARTITIONS,
    replicationFactor: v.TOPIC_REPLICATION_FACTOR,
    deadLetterRetentionMs: v.DEAD_LETTER_RETENTION,
  }),
);

/** Every topic of the suite: one per aggregate type, and one dead-letter topic per projection. */
export function suiteTopics(
  prefix: string,
  partitions: number,
  deadLetterRetentionMs = DEAD_LETTER_RETENTION_MS,
): TopicSpec[] {
  return [
    ...Object.values(eventTopics(prefix)).map((topic) => eventTopicSpec(topic, partitions)),
    ...PROJECTION_NAMES.map((name) =>
      deadLetterTopicSpec(deadLetterTopicFor(name, prefix), deadLetterRetentionMs),
    ),
  ];
}

/** What the topic job (`create-topics.js`) reads from its environment. */
export function loadCreateTopicsConfig(env: Environment) {
  return loadConfig({ runtime: runtimeSection, kafka: kafkaSection, topics: topicsSection }, env);
}
