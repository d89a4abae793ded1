// Writing a seeded history into the suite's event topics, as the relay would have published it.
import { type AggregateType, eventTopics } from '@cqrs-shop/events';
import { type RunningSuite, waitFor } from '@cqrs-shop/testing';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { SeededEvent } from './history.js';

/** Events per producer request. */
const BATCH = 1_000;

/**
 * Writes the events into the suite's topics in their order, with one idempotent producer (acks
 * from all replicas); gives how many went to each topic. The events may be a generator: a large
 * history is never held in memory whole.
 */
export async function produceEvents(
  suite: RunningSuite,
  events: Iterable<SeededEvent>,
): Promise<Record<AggregateType, number>> {
  const topics = eventTopics(suite.names.topicPrefix);
  const kafka = new Kafka({
    clientId: 'bench-seed',
    brokers: (suite.env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // The relay creates the topics (6 partitions each) when it starts.
    await waitFor(
      'the event topics',
      async () => {
        const existing = new Set(await admin.listTopics());
        return Object.values(topics).every((topic) => existing.has(topic));
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } finally {
    await admin.disconnect();
  }
  // One request in flight keeps each aggregate's events in order even across retries; a topic
  // created by the producer would have the broker's defaults, not the relay's.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const written: Record<AggregateType, number> = { customer: 0, product: 0, order: 0 };
  await producer.connect();
  try {
    let batch: SeededEvent[] = [];
    const send = async () => {
      await producer.sendBatch({
        acks: -1,
        topicMessages: (['customer', 'product', 'order'] as const).map((aggregate) => ({
          topic: topics[aggregate],
          messages: batch.filter((e) => e.aggregate === aggregate).map((e) => e.message),
        })),
      });
      for (const event of batch) written[event.aggregate]++;
      batch = [];
    };
    for (const event of events) {
      batch.push(event);
      if (batch.length === BATCH) await send();
    }
    if (batch.length > 0) await send();
  } finally {
    await producer.disconnect();
  }
  return written;
}
