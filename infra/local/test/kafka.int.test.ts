import { uniqueName, waitFor } from '@cqrs-shop/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';

const kafka = new Kafka({
  clientId: 'smoke-test',
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  logLevel: logLevel.NOTHING,
});

describe('Kafka (kafkajs against the local broker)', () => {
  let admin: Admin;
  const topic = uniqueName('smoke.kafka');

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates a topic with explicit settings, produces, consumes in a group, commits and lists offsets', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '-1' }],
        },
      ],
    });
    expect(created).toBe(true);
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions).toHaveLength(3);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `aggregate-${i % 5}`,
      value: `event-${i}`,
    }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();

    const groupId = uniqueName('smoke-group');
    const consumer = kafka.consumer({ groupId });
    const received: { key: string; value: string; partition: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({ key: String(message.key), value: String(message.value), partition });
        await consumer.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    await waitFor('all 30 messages to be consumed', () => received.length === 30, { timeoutMs: 30_000 });
    await consumer.disconnect();

    expect(received.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort());
    // One key always lands on one partition: the basis of per-aggregate ordering.
    const partitionsByKey = new Map<string, Set<number>>();
    for (const m of received)
      partitionsByKey.set(m.key, (partitionsByKey.get(m.key) ?? new Set()).add(m.partition));
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);
    // Within a key, the order of production is kept.
    const firstKey = received.filter((m) => m.key === 'aggregate-0').map((m) => m.value);
    expect(firstKey).toEqual(messages.filter((m) => m.key === 'aggregate-0').map((m) => m.value));

    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedByPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]));
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(30);
    for (const end of ends)
      expect(committedByPartition.get(end.partition) ?? '-1').toBe(end.high === '0' ? '-1' : end.high);
  });
});
