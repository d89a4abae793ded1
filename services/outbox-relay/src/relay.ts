import { setTimeout as delay } from 'node:timers/promises';
import { eventTopics, isAggregateType, isEventType, toKafkaHeaders } from '@cqrs-shop/events';
import type { KafkaClients } from '@cqrs-shop/kafka';
import type { Logger } from '@cqrs-shop/logging';
import {
  contextOf,
  markFailed,
  SPAN_ATTRIBUTES,
  SpanKind,
  type Span,
  startSpan,
  traceparentOf,
} from '@cqrs-shop/telemetry';
import { type Admin, type Message, Partitioners, type Producer } from 'kafkajs';
import type { Leadership } from './leadership.js';
import type { OutboxRow, OutboxStore, SendIntent } from './outbox-store.js';
import type { RelayMetrics } from './relay-metrics.js';
import type { RelayStats } from './stats.js';

export interface RelaySettings {
  readonly topicPrefix: string;
  readonly topicPartitions: number;
  readonly batchSize: number;
  readonly idleMaxMs: number;
  readonly standbyPollMs: number;
}

const partitionOf = Partitioners.DefaultPartitioner();

/**
 * Publishes outbox rows to Kafka while this replica is the leader.
 *
 * Order: one leader at a time, one batch at a time, rows in commit order, key = aggregate id,
 * so each aggregate's events reach its partition in version order. Delivery: a batch is marked
 * published only after Kafka acknowledged it (acks=all, idempotent producer). If the leader
 * dies between the two, the next one compares the partitions' end offsets with those recorded
 * before the send: a partition's share of a batch is appended all at once or not at all, so it
 * re-sends exactly the rows Kafka lacks and a partition never sees an aggregate go backwards.
 */
export class OutboxRelay {
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly topics: Readonly<Record<string, string>>;

  constructor(
    private readonly deps: {
      store: OutboxStore;
      leadership: Leadership;
      kafka: KafkaClients;
      settings: RelaySettings;
      stats: RelayStats;
      metrics?: RelayMetrics;
      logger: Logger;
    },
  ) {
    this.topics = eventTopics(deps.settings.topicPrefix);
  }

  /** Runs until `signal` aborts: stands by, leads, and steps down when the lock is lost. */
  async run(signal: AbortSignal): Promise<void> {
    const { leadership, settings, logger, stats } = this.deps;
    let idleMs = 1;
    while (!signal.aborted) {
      try {
        if (!stats.leader) {
          if (!(await leadership.tryAcquire())) {
            await delay(settings.standbyPollMs, undefined, { signal }).catch(() => undefined);
            continue;
          }
          await this.takeOver();
        }
        if (!(await leadership.isHeld())) {
          await this.stepDown('lost the relay lock');
          continue;
        }
        const published = await this.publishBatch();
        if (published > 0) {
          idleMs = 1;
        } else {
          await delay(idleMs, undefined, { signal }).catch(() => undefined);
          idleMs = Math.min(idleMs * 2, settings.idleMaxMs);
        }
      } catch (error) {
        this.deps.metrics?.recordError();
        logger.error({ err: error }, 'relay batch failed; stepping down and retrying');
        await this.stepDown('error');
        await delay(Math.min(1_000, settings.standbyPollMs), undefined, { signal }).catch(() => undefined);
      }
    }
    await this.stepDown('stopping');
  }

  private async takeOver(): Promise<void> {
    const { kafka, store, logger, stats } = this.deps;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    const intent = await store.intent();
    if (intent) await this.recover(intent);
    stats.leader = true;
    logger.info({ lock: this.deps.leadership.lockName }, 'leading: publishing the outbox');
  }

  /** Marks published the rows of an interrupted batch that Kafka has; the rest will be sent again. */
  private async recover(intent: SendIntent): Promise<void> {
    const admin = this.requireAdmin();
    const after = await this.endOffsets(admin, [...new Set(intent.rows.map((row) => row.topic))]);
    const received = intent.rows.filter((row) => {
      const key = `${row.topic}:${row.partition}`;
      return BigInt(after[key] ?? '0') > BigInt(intent.endOffsets[key] ?? '0');
    });
    await this.deps.store.markPublished(received.map((row) => row.position));
    this.deps.logger.warn(
      { inBatch: intent.rows.length, alreadyInKafka: received.length },
      'recovered an interrupted batch',
    );
  }

  private async stepDown(reason: string): Promise<void> {
    const { stats, leadership, logger } = this.deps;
    if (stats.leader) logger.info({ reason }, 'no longer leading');
    stats.leader = false;
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.admin = undefined;
    await leadership.release();
  }

  private requireAdmin(): Admin {
    if (!this.admin) throw new Error('the relay is not leading');
    return this.admin;
  }

  private async endOffsets(admin: Admin, topics: readonly string[]): Promise<Record<string, string>> {
    const offsets: Record<string, string> = {};
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic))
        offsets[`${topic}:${partition.partition}`] = partition.high;
    }
    return offsets;
  }

  /**
   * A span per event, in the trace of the command that wrote it (its context is stored with the
   * outbox row). It starts when the relay picks the row up, so the trace shows the wait since the
   * commit, and ends when Kafka acknowledges; its context travels on as the `traceparent` header.
   */
  private publishSpan(
    row: OutboxRow,
    topic: string,
    now: number,
  ): { span: Span; traceparent: string | null } {
    const { span, context } = startSpan(`publish ${row.eventType}`, {
      kind: SpanKind.PRODUCER,
      parent: contextOf(row.traceparent),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        'messaging.kafka.message.key': row.aggregateId,
        [SPAN_ATTRIBUTES.eventId]: row.eventId,
        [SPAN_ATTRIBUTES.eventType]: row.eventType,
        [SPAN_ATTRIBUTES.commandId]: row.commandId,
        [SPAN_ATTRIBUTES.aggregateId]: row.aggregateId,
        'outbox.position': row.position,
        [SPAN_ATTRIBUTES.waitedMs]: now - row.occurredAt.getTime(),
      },
    });
    // Untraced, the stored traceparent is passed on as it is.
    return { span, traceparent: traceparentOf(context) ?? row.traceparent };
  }

  private toMessage(row: OutboxRow, now: number): { topic: string; message: Message; span: Span } {
    if (!isEventType(row.eventType) || !isAggregateType(row.aggregateType)) {
      throw new Error(
        `outbox row ${row.position} has unknown event type ${row.eventType} or aggregate type ${row.aggregateType}`,
      );
    }
    const topic = this.topics[row.aggregateType] ?? '';
    const { span, traceparent } = this.publishSpan(row, topic, now);
    const headers = toKafkaHeaders({
      eventId: row.eventId,
      eventType: row.eventType,
      aggregateType: row.aggregateType,
      aggregateId: row.aggregateId,
      aggregateVersion: row.aggregateVersion,
      occurredAt: row.occurredAt.toISOString(),
      commandId: row.commandId,
      correlationId: row.correlationId,
      causationId: row.causationId,
      schemaFingerprint: row.schemaFingerprint,
      ...(traceparent === null ? {} : { traceparent }),
    });
    // The partition is chosen here, with the producer's own partitioner, so it can be recorded
    // in the intent before sending.
    const partitionMetadata = Array.from(
      { length: this.deps.settings.topicPartitions },
      (_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
      }),
    );
    const keyed = { key: row.aggregateId, value: row.payload, headers };
    const partition = partitionOf({ topic, partitionMetadata, message: keyed });
    span.setAttribute('messaging.destination.partition.id', String(partition));
    return { topic, message: { ...keyed, partition }, span };
  }

  /** Publishes the next batch; returns how many rows it published. */
  private async publishBatch(): Promise<number> {
    const { store, settings, stats } = this.deps;
    const producer = this.producer;
    if (!producer) throw new Error('the relay is not leading');
    const rows = await store.pending(settings.batchSize);
    if (rows.length === 0) return 0;

    const pickedAt = Date.now();
    const messages: { row: OutboxRow; topic: string; message: Message; span: Span }[] = [];
    try {
      for (const row of rows) messages.push({ row, ...this.toMessage(row, pickedAt) });
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of messages) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
      await store.recordIntent({
        rows: messages.map(({ row, topic, message }) => ({
          position: row.position,
          topic,
          partition: message.partition ?? 0,
        })),
        endOffsets: await this.endOffsets(this.requireAdmin(), [...byTopic.keys()]),
      });
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
    } catch (error) {
      for (const { span } of messages) markFailed(span, error);
      throw error;
    } finally {
      for (const { span } of messages) span.end();
    }
    const acknowledgedAt = Date.now();
    await store.markPublished(rows.map((row) => row.position));
    for (const row of rows) {
      const lagMs = acknowledgedAt - row.occurredAt.getTime();
      stats.recordLag(lagMs);
      this.deps.metrics?.recordPublished(row.eventType, lagMs);
    }
    stats.published += rows.length;
    stats.batches += 1;
    return rows.length;
  }
}
