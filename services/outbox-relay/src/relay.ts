import { setTimeout as delay } from 'node:timers/promises';
import {
  ENVELOPE_HEADERS,
  EVENT_AGGREGATE_TYPES,
  eventTopics,
  InvalidEnvelopeError,
  isAggregateType,
  isEventType,
  toKafkaHeaders,
} from '@cqrs-shop/events';
import { type KafkaClients, readPartitionTails } from '@cqrs-shop/kafka';
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
import { type Message, Partitioners, type Producer } from 'kafkajs';
import { type BatchPlan, messageBytes, planBatch, type Prepared } from './batch-plan.js';
import type { Leadership } from './leadership.js';
import type { OutboxQuarantine, QuarantineMove } from '@cqrs-shop/outbox';
import type { OutboxRow, OutboxStore, SendIntent } from '@cqrs-shop/outbox';
import type { RelayMetrics } from './relay-metrics.js';
import type { RelayStats } from './stats.js';

export interface RelaySettings {
  readonly topicPrefix: string;
  readonly topicPartitions: number;
  readonly batchSize: number;
  readonly batchMaxBytes: number;
  readonly idleMaxMs: number;
  /** Least time from one batch's pick to the next poll while rows keep coming. @default 0 */
  readonly batchIntervalMs?: number;
  readonly standbyPollMs: number;
}

const partitionOf = Partitioners.DefaultPartitioner();

/**
 * Publishes outbox rows to Kafka while this replica is the leader.
 *
 * Order: one leader at a time, one batch at a time, rows in commit order, key = aggregate id,
 * so each aggregate's events reach its partition in version order. Delivery: a batch is marked
 * published only after Kafka acknowledged it (acks=all, idempotent producer). Before the send,
 * the batch's rows and partitions are recorded; if the leader dies before marking them, the next
 * one looks for their event ids at the ends of those partitions and marks what it finds: it
 * re-sends exactly the rows Kafka lacks (a partition's share of a batch is appended all at once
 * or not at all, so a partition never sees an aggregate go backwards).
 */
export class OutboxRelay {
  private producer: Producer | undefined;
  private readonly topics: Readonly<Record<string, string>>;
  /** RELAY_BATCH_MAX_BYTES, halved for good each time the broker refuses a batch as too large. */
  private batchMaxBytes: number;

  constructor(
    private readonly deps: {
      store: OutboxStore;
      quarantine: OutboxQuarantine;
      leadership: Leadership;
      kafka: KafkaClients;
      settings: RelaySettings;
      stats: RelayStats;
      metrics?: RelayMetrics;
      logger: Logger;
    },
  ) {
    this.topics = eventTopics(deps.settings.topicPrefix);
    this.batchMaxBytes = deps.settings.batchMaxBytes;
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
        const polledAt = performance.now();
        const published = await this.publishBatch();
        if (published > 0) {
          idleMs = 1;
          const pause = polledAt + (settings.batchIntervalMs ?? 0) - performance.now();
          if (pause > 0) await delay(pause, undefined, { signal }).catch(() => undefined);
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
    // The producer is new each term: a failed send may leave its sequence numbers out of step
    // with the broker's, and an idempotent producer that resent under them could have a new
    // event taken for a duplicate.
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

  /**
   * Marks published the rows of an interrupted batch that Kafka has; the rest will be sent again.
   * Nothing else was sent to their partitions since (this relay sent the batch last, and the
   * next leader recovers before it sends), so they are among the last messages there; twice as
   * many are read, to spare a guess. Going by event id, a message someone else appended cannot
   * pass for a row: a row is marked only when it is there.
   */
  private async recover(intent: SendIntent): Promise<void> {
    const eventIds = await this.deps.store.eventIds(intent.rows.map((row) => row.position));
    const tails = new Map<string, { topic: string; partition: number; count: number }>();
    for (const { topic, partition } of intent.rows) {
      const key = `${topic}:${partition}`;
      const tail = tails.get(key) ?? { topic, partition, count: 0 };
      tail.count += 2;
      tails.set(key, tail);
    }
    const read = await readPartitionTails(this.deps.kafka, [...tails.values()], () => true);
    const inKafka = new Set(
      read.flat().map((message) => message.headers?.[ENVELOPE_HEADERS.eventId]?.toString()),
    );
    const received = intent.rows.filter((row) => inKafka.has(eventIds.get(row.position) ?? ''));
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
    this.producer = undefined;
    await leadership.release();
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

  /**
   * The row's Kafka headers, checked as consumers check them; or why the row cannot be
   * published as it is (a deterministic fault: sending it again would fail again).
   */
  private prepare(row: OutboxRow): Prepared {
    if (!isEventType(row.eventType))
      return { reason: `unknown event type ${row.eventType}: this relay does not publish it` };
    if (!isAggregateType(row.aggregateType) || EVENT_AGGREGATE_TYPES[row.eventType] !== row.aggregateType)
      return { reason: `aggregate type ${row.aggregateType} is not the one of ${row.eventType} events` };
    try {
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
        ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
      });
      return { headers };
    } catch (error) {
      if (error instanceof InvalidEnvelopeError) return { reason: error.message };
      throw error;
    }
  }

  private toMessage(
    row: OutboxRow,
    checkedHeaders: Record<string, string>,
    now: number,
  ): { topic: string; message: Message; span: Span } {
    const topic = this.topics[row.aggregateType] ?? '';
    const { span, traceparent } = this.publishSpan(row, topic, now);
    const headers =
      traceparent === null
        ? checkedHeaders
        : { ...checkedHeaders, [ENVELOPE_HEADERS.traceparent]: traceparent };
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

  /** Takes rows out of the outbox (see {@link planBatch}); returns how many moved. */
  private async quarantine(moves: readonly QuarantineMove[]): Promise<number> {
    if (moves.length === 0) return 0;
    const moved = new Set(await this.deps.quarantine.move(moves));
    for (const move of moves) {
      if (!moved.has(move.position)) continue;
      if (move.reason !== undefined)
        this.deps.logger.error(
          { position: move.position, reason: move.reason },
          'outbox row quarantined: release it with `cqrs outbox release` once fixed',
        );
      else
        this.deps.logger.warn(
          { position: move.position, heldBehind: move.heldBehind },
          'outbox row held behind a quarantined row of its aggregate',
        );
    }
    this.deps.metrics?.recordQuarantined(moved.size);
    return moved.size;
  }

  /**
   * Publishes the next batch, after quarantining the rows that cannot be published; returns
   * how many rows it published or quarantined.
   */
  private async publishBatch(): Promise<number> {
    const { store, settings, stats } = this.deps;
    const producer = this.producer;
    if (!producer) throw new Error('the relay is not leading');
    const rows = await store.pending(settings.batchSize);
    if (rows.length === 0) return 0;

    const plan = planBatch(rows, this.batchMaxBytes, (row) => this.prepare(row));
    const quarantined = await this.quarantine(plan.quarantine);
    if (plan.send.length === 0) return quarantined;
    const pickedAt = Date.now();
    const messages: { row: OutboxRow; topic: string; message: Message; span: Span }[] = [];
    try {
      for (const { row, headers } of plan.send)
        messages.push({ row, ...this.toMessage(row, headers, pickedAt) });
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of messages) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
      await store.recordIntent({
        rows: messages.map(({ row, topic, message }) => ({
          position: row.position,
          topic,
          partition: message.partition ?? 0,
        })),
      });
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
    } catch (error) {
      for (const { span } of messages) markFailed(span, error);
      if (isTooLarge(error)) return quarantined + (await this.tooLarge(plan));
      throw error;
    } finally {
      for (const { span } of messages) span.end();
    }
    const acknowledgedAt = Date.now();
    const published = plan.send.map(({ row }) => row);
    await store.markPublished(published.map((row) => row.position));
    for (const row of published) {
      const lagMs = acknowledgedAt - row.occurredAt.getTime();
      stats.recordLag(lagMs);
      this.deps.metrics?.recordPublished(row.eventType, lagMs);
    }
    stats.published += published.length;
    stats.batches += 1;
    return published.length + quarantined;
  }

  /**
   * The broker refused a batch as too large. A lone row is quarantined (its partition appended
   * nothing); a larger batch is retried in halves from now on, after the recovery a new
   * leadership term makes (other partitions may have appended their share).
   */
  private async tooLarge(plan: BatchPlan): Promise<number> {
    const [only] = plan.send;
    if (plan.send.length === 1 && only)
      return this.quarantine([
        {
          position: only.row.position,
          reason: `the broker refused the event as too large (${messageBytes(only.row, only.headers)} bytes)`,
        },
      ]);
    this.batchMaxBytes = Math.max(1_024, Math.floor(plan.bytes / 2));
    this.deps.logger.warn(
      { batchMaxBytes: this.batchMaxBytes },
      'the broker refused a batch as too large; sending smaller batches',
    );
    throw new Error(`the broker refused a batch of ${plan.bytes} bytes as too large`);
  }
}

/** Kafka's answer to a record or batch over its size limits, however kafkajs wraps it. */
function isTooLarge(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { type, errors, originalError } = error as {
    type?: unknown;
    errors?: unknown;
    originalError?: unknown;
  };
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
  if (Array.isArray(errors) && errors.some(isTooLarge)) return true;
  return originalError !== undefined && isTooLarge(originalError);
}
