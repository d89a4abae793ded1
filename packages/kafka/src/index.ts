import { randomUUID } from 'node:crypto';
import type { Logger } from '@cqrs-shop/logging';
import {
  type Admin,
  ConfigResourceTypes,
  ConfigSource,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type KafkaMessage,
  logLevel,
  type LogEntry,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from 'kafkajs';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Retries of a failed request, with kafkajs's exponential backoff. */
  readonly retries: number;
  /** TLS to the brokers; `ca` (PEM) when their certificates are not signed by a CA the system trusts. */
  readonly tls?: { readonly ca?: string };
  /** SASL authentication over the connection. */
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The kafkajs client and every producer, consumer and admin made from it, so that one
 * `close()` disconnects them all (consumers first: they may still be committing offsets).
 */
export class KafkaClients {
  readonly kafka: Kafka;
  private readonly consumers: Consumer[] = [];
  private readonly producers: Producer[] = [];
  private readonly admins: Admin[] = [];
  private closing: Promise<void> | undefined;

  constructor(settings: KafkaSettings, logger: Logger) {
    const kafkaLogger = logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: settings.clientId,
      brokers: [...settings.brokers],
      ...(settings.tls ? { ssl: settings.tls.ca === undefined ? true : { ca: [settings.tls.ca] } } : {}),
      ...(settings.sasl ? { sasl: saslOptions(settings.sasl) } : {}),
      connectionTimeout: settings.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // kafkajs doubles its pause up to 30 s by default: a broker back after a minute would be
      // noticed up to half a minute late. Capped, a client is back within about 2 s of it.
      retry: { retries: settings.retries, initialRetryTime: 200, maxRetryTime: 2_000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, level, log }: LogEntry) => {
          const { message, ...fields } = log;
          kafkaLogger[LEVELS[level] ?? 'info']({ namespace, ...fields }, message);
        },
    });
  }

  producer(config?: ProducerConfig): Producer {
    return held(this.producers, this.kafka.producer(config));
  }

  consumer(config: ConsumerConfig): Consumer {
    return held(this.consumers, this.kafka.consumer(config));
  }

  admin(): Admin {
    return held(this.admins, this.kafka.admin());
  }

  /** How many clients made here are not disconnected yet. */
  get open(): number {
    return this.consumers.length + this.producers.length + this.admins.length;
  }

  /** Disconnects everything made here; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
      await Promise.allSettled([...this.producers, ...this.admins].map((c) => c.disconnect()));
    })();
    return this.closing;
  }
}

/**
 * Keeps `client` in `list` until it is disconnected: a process that makes a client per attempt
 * (a producer per leadership term, a consumer per restart) must not keep every one it made.
 */
function held<T extends { disconnect(): Promise<void> }>(list: T[], client: T): T {
  list.push(client);
  const disconnect = client.disconnect.bind(client);
  client.disconnect = async () => {
    try {
      await disconnect();
    } finally {
      const at = list.indexOf(client);
      if (at >= 0) list.splice(at, 1);
    }
  };
  return client;
}

/** kafkajs types each mechanism on its own: one union member per mechanism. */
function saslOptions({ mechanism, username, password }: NonNullable<KafkaSettings['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

export function createKafkaClients(settings: KafkaSettings, logger: Logger): KafkaClients {
  return new KafkaClients(settings, logger);
}

/** A topic as the suite wants it: explicit partitions and settings, never auto-created. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Topic-level settings, e.g. `{ 'retention.ms': '-1' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Settings that are the suite's configuration, not only a starting point: made current on a
   * topic that exists already, too (say, a retention changed since it was created).
   */
  readonly enforced?: readonly string[];
}

/** An event topic: the shop's history, so nothing is ever deleted by age or size. */
export function eventTopicSpec(topic: string, partitions: number): TopicSpec {
  return {
    topic,
    partitions,
    settings: { 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' },
  };
}

/**
 * A projection's dead-letter topic: one partition (its events are redriven one by one), kept for
 * `retentionMs` (0: forever). Its messages are copies of events, personal data included, so
 * they should not outlive their use; a parked aggregate is redriven from the event topics, not
 * from here.
 */
export function deadLetterTopicSpec(topic: string, retentionMs: number): TopicSpec {
  return {
    topic,
    partitions: 1,
    settings: { 'retention.ms': retentionMs > 0 ? String(retentionMs) : '-1' },
    enforced: ['retention.ms'],
  };
}

/**
 * Creates the topics that do not exist yet and returns the names it created. An existing topic
 * with a different partition count is an error: keys would map to other partitions than the
 * history on the topic, and per-key order would break. Without a replication factor the
 * broker's `default.replication.factor` applies (-1), so a service that creates a missing topic
 * never makes it less durable than the cluster is set up for.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  replicationFactor = -1,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      // Waited for below: kafkajs gives up when the broker does not know a new topic yet.
      waitForLeaders: false,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor,
        configEntries: Object.entries(spec.settings ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    await awaitLeaders(
      admin,
      missing.map((spec) => spec.topic),
    );
  }
  const present = specs.filter((spec) => existing.has(spec.topic));
  if (present.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.topic) });
    for (const spec of present) {
      const partitions = topics.find((t) => t.name === spec.topic)?.partitions.length;
      if (partitions !== spec.partitions) {
        throw new Error(
          `topic ${spec.topic} has ${String(partitions)} partitions, configured ${spec.partitions}`,
        );
      }
    }
    await enforceSettings(admin, present);
  }
  return missing.map((spec) => spec.topic);
}

/**
 * Makes the enforced settings of existing topics current. Kafka's AlterConfigs replaces a
 * topic's whole set of overrides, so the others the topic has are sent along unchanged.
 */
async function enforceSettings(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const enforcing = specs.filter((spec) => (spec.enforced ?? []).length > 0);
  if (enforcing.length === 0) return;
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: enforcing.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.topic })),
  });
  const changes = enforcing.flatMap((spec) => {
    const entries = resources.find((resource) => resource.resourceName === spec.topic)?.configEntries ?? [];
    const overrides = new Map(
      entries
        .filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG)
        .map((entry) => [entry.configName, entry.configValue]),
    );
    const stale = (spec.enforced ?? []).filter(
      (name) => spec.settings?.[name] !== undefined && overrides.get(name) !== spec.settings[name],
    );
    if (stale.length === 0) return [];
    for (const name of stale) overrides.set(name, spec.settings?.[name] ?? '');
    return [
      {
        type: ConfigResourceTypes.TOPIC,
        name: spec.topic,
        configEntries: [...overrides].map(([name, value]) => ({ name, value })),
      },
    ];
  });
  if (changes.length > 0) await admin.alterConfigs({ validateOnly: false, resources: changes });
}

/**
 * Whether every one of `topics` exists and has a leader for each partition: a topic created a
 * moment ago may not yet (KRaft propagates metadata asynchronously, and a broker may answer
 * "unknown topic" meanwhile).
 */
export async function topicsReady(admin: Admin, topics: readonly string[]): Promise<boolean> {
  const existing = new Set(await admin.listTopics());
  if (!topics.every((topic) => existing.has(topic))) return false;
  return admin.fetchTopicMetadata({ topics: [...topics] }).then(
    (metadata) =>
      topics.every((name) => {
        const partitions = metadata.topics.find((t) => t.name === name)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
      }),
    () => false,
  );
}

async function awaitLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await topicsReady(admin, topics))) {
    if (Date.now() >= deadline)
      throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Reads `topics` from the beginning up to their end offsets as of the call, with a throwaway
 * consumer group, and returns the messages `keep` selects, in each partition's order.
 */
export async function readToEnd(
  clients: KafkaClients,
  topics: readonly string[],
  keep: (message: KafkaMessage, topic: string, partition: number) => boolean,
  timeoutMs = 60_000,
): Promise<{ topic: string; partition: number; message: KafkaMessage }[]> {
  const admin = clients.admin();
  await admin.connect();
  const remaining = new Map<string, bigint>();
  try {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) remaining.set(`${topic}:${partition}`, BigInt(high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const kept: { topic: string; partition: number; message: KafkaMessage }[] = [];
  if (remaining.size === 0) return kept;
  const consumer = clients.consumer({ groupId: `read-to-end.${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`reading ${topics.join(', ')} to the end took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachMessage: ({ topic, partition, message }) => {
          const key = `${topic}:${partition}`;
          const end = remaining.get(key);
          if (end !== undefined && BigInt(message.offset) < end && keep(message, topic, partition)) {
            kept.push({ topic, partition, message });
          }
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(key);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    await done;
    return kept;
  } finally {
    await consumer.disconnect();
  }
}

/** Offsets `from` (inclusive) to `end` (exclusive) of one partition. */
interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly end: bigint;
}

/** Each partition's first and next offset, by `topic:partition`. */
async function partitionBounds(
  clients: KafkaClients,
  topics: readonly string[],
): Promise<Map<string, { low: bigint; high: bigint }>> {
  const admin = clients.admin();
  await admin.connect();
  try {
    const bounds = new Map<string, { low: bigint; high: bigint }>();
    for (const topic of new Set(topics))
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic))
        bounds.set(`${topic}:${partition}`, { low: BigInt(low), high: BigInt(high) });
    return bounds;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads ranges of partitions (one range per partition) with one consumer of a group of its own,
 * which starts every partition at its end: only the seeks read anything. The messages `keep`
 * accepts, per range in the order given.
 */
async function readRanges(
  clients: KafkaClients,
  ranges: readonly PartitionRange[],
  keep: (message: KafkaMessage) => boolean,
  timeoutMs: number,
): Promise<KafkaMessage[][]> {
  const kept = ranges.map((): KafkaMessage[] => []);
  const open = new Map(
    ranges.flatMap((range, i) => (range.from < range.end ? [[`${range.topic}:${range.partition}`, i]] : [])),
  );
  if (open.size === 0) return kept;
  const consumer = clients.consumer({ groupId: `read-partition.${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const topics = new Set([...open.values()].map((i) => (ranges[i] as PartitionRange).topic));
    await consumer.subscribe({ topics: [...topics], fromBeginning: false });
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`reading ${[...open.keys()].join(', ')} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachMessage: ({ topic, partition, message }) => {
          const key = `${topic}:${partition}`;
          const i = open.get(key);
          const range = i === undefined ? undefined : ranges[i];
          if (i === undefined || !range) return Promise.resolve();
          const offset = BigInt(message.offset);
          if (offset < range.end && offset >= range.from && keep(message)) kept[i]?.push(message);
          if (offset + 1n >= range.end) open.delete(key);
          if (open.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    for (const i of open.values()) {
      const range = ranges[i] as PartitionRange;
      consumer.seek({ topic: range.topic, partition: range.partition, offset: String(range.from) });
    }
    await done;
    return kept;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Reads one partition of a topic from `fromOffset` to the end it had when called, and returns
 * the messages `keep` accepts. For what is known to live in one partition (an aggregate's
 * events): the other partitions are not read.
 */
export async function readPartition(
  clients: KafkaClients,
  source: { readonly topic: string; readonly partition: number; readonly fromOffset: number },
  keep: (message: KafkaMessage) => boolean,
  timeoutMs = 60_000,
): Promise<KafkaMessage[]> {
  const { topic, partition, fromOffset } = source;
  const end = (await partitionBounds(clients, [topic])).get(`${topic}:${partition}`)?.high ?? 0n;
  const [kept] = await readRanges(
    clients,
    [{ topic, partition, from: BigInt(fromOffset), end }],
    keep,
    timeoutMs,
  );
  return kept ?? [];
}

/**
 * Reads the last `count` messages (fewer if it holds fewer) of each partition given, as they
 * were when called, and returns the messages `keep` accepts, per partition in the order given.
 */
export async function readPartitionTails(
  clients: KafkaClients,
  tails: readonly { readonly topic: string; readonly partition: number; readonly count: number }[],
  keep: (message: KafkaMessage) => boolean,
  timeoutMs = 60_000,
): Promise<KafkaMessage[][]> {
  const bounds = await partitionBounds(
    clients,
    tails.map((t) => t.topic),
  );
  const ranges = tails.map(({ topic, partition, count }): PartitionRange => {
    const { low, high } = bounds.get(`${topic}:${partition}`) ?? { low: 0n, high: 0n };
    const from = high - BigInt(count);
    return { topic, partition, from: from > low ? from : low, end: high };
  });
  return readRanges(clients, ranges, keep, timeoutMs);
}

export { advertisingAssigner, type GroupMember, groupMembers } from './group.js';
