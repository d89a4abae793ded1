// The topics of the suite, as the topic job creates them.
import { section, variable } from '@cqrs-shop/config';
import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { deadLetterTopicSpec, eventTopicSpec, type TopicSpec } from '@cqrs-shop/kafka';
import { PROJECTION_NAMES } from './args.js';

export const topicsSection = section(
  {
    /** Partitions of each event topic: the most consumers a projection can spread over. @default 6 */
    TOPIC_PARTITIONS: variable.integer({ min: 1, max: 1_000, default: 6 }),
    /** Copies of each partition; 3 on a production cluster. @default 1 */
    TOPIC_REPLICATION_FACTOR: variable.integer({ min: 1, max: 16, default: 1 }),
  },
  (v) => ({ partitions: v.TOPIC_PARTITIONS, replicationFactor: v.TOPIC_REPLICATION_FACTOR }),
);

/** Every topic of the suite: one per aggregate type, and one dead-letter topic per projection. */
export function suiteTopics(prefix: string, partitions: number): TopicSpec[] {
  return [
    ...Object.values(eventTopics(prefix)).map((topic) => eventTopicSpec(topic, partitions)),
    ...PROJECTION_NAMES.map((name) => deadLetterTopicSpec(deadLetterTopicFor(name, prefix))),
  ];
}
