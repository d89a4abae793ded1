import { ConfigResourceTypes, type Admin } from 'kafkajs';

/** What decides whether a topic still holds its whole history. */
export interface TopicHistoryFacts {
  readonly topic: string;
  /** `cleanup.policy`, e.g. `delete` or `compact,delete`. */
  readonly cleanupPolicy: string;
  /** `retention.ms` and `retention.bytes`; -1 means forever. */
  readonly retentionMs: number;
  readonly retentionBytes: number;
  /** Each partition's earliest offset still held. */
  readonly partitions: readonly {
    readonly partition: number;
    readonly earliest: number;
    readonly end: number;
  }[];
}

export interface HistoryAssessment {
  /** Reasons the history is no longer complete: a rebuild from it would be wrong. */
  readonly problems: string[];
  /** Reasons it may not stay complete. */
  readonly warnings: string[];
}

/**
 * Whether the topics still hold every event ever written. An event topic starts at offset 0,
 * so an earliest offset above 0 means events were deleted (retention, or a records deletion);
 * compaction keeps only the newest event per aggregate, which no projection can be built from.
 */
export function assessHistory(facts: readonly TopicHistoryFacts[]): HistoryAssessment {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const topic of facts) {
    if (topic.cleanupPolicy.split(',').some((policy) => policy.trim() === 'compact'))
      problems.push(
        `${topic.topic} is compacted (cleanup.policy=${topic.cleanupPolicy}): older events of an aggregate may be gone`,
      );
    for (const { partition, earliest } of topic.partitions)
      if (earliest > 0)
        problems.push(
          `${topic.topic} partition ${partition} starts at offset ${earliest}: ${earliest} earlier events were deleted`,
        );
    if (topic.retentionMs >= 0)
      warnings.push(
        `${topic.topic} deletes events after ${topic.retentionMs} ms (retention.ms); keep event topics forever (-1)`,
      );
    if (topic.retentionBytes >= 0)
      warnings.push(
        `${topic.topic} deletes events beyond ${topic.retentionBytes} bytes a partition (retention.bytes); keep them forever (-1)`,
      );
  }
  return { problems, warnings };
}

/** Reads the settings and earliest offsets of the topics from the brokers. */
export async function fetchHistoryFacts(
  admin: Admin,
  topics: readonly string[],
): Promise<TopicHistoryFacts[]> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['cleanup.policy', 'retention.ms', 'retention.bytes'],
    })),
  });
  return Promise.all(
    topics.map(async (topic) => {
      const entries = described.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
      const value = (name: string) => entries.find((e) => e.configName === name)?.configValue ?? '';
      const offsets = await admin.fetchTopicOffsets(topic);
      return {
        topic,
        cleanupPolicy: value('cleanup.policy') || 'delete',
        retentionMs: Number(value('retention.ms') || -1),
        retentionBytes: Number(value('retention.bytes') || -1),
        partitions: offsets
          .map((p) => ({ partition: p.partition, earliest: Number(p.low), end: Number(p.high) }))
          .sort((a, b) => a.partition - b.partition),
      };
    }),
  );
}
