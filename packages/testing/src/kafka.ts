import { type IHeaders, Kafka, logLevel } from 'kafkajs';
import { uniqueName, waitFor } from './wait.js';

/** One message as read back from a topic. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  /** Header values as strings. */
  readonly headers: Readonly<Record<string, string>>;
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined)
      result[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return result;
}

/**
 * Reads `topics` from the beginning with a fresh consumer group until `done(messages)` holds
 * (or the deadline passes), and returns every message in the order each partition gave them.
 */
export async function readTopics(
  brokers: readonly string[],
  topics: readonly string[],
  done: (messages: readonly ConsumedMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ConsumedMessage[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('test-reader'), maxWaitTimeInMs: 100 });
  const messages: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: message.value,
          headers: stringHeaders(message.headers),
        });
        return Promise.resolve();
      },
    });
    await waitFor('the expected messages on the topics', () => done(messages), {
      timeoutMs,
      intervalMs: 100,
    });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
