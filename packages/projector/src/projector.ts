import { setTimeout as delay } from 'node:timers/promises';
import { decodeEvent, fromKafkaHeaders } from '@cqrs-shop/events';
import {
  deadLetterTopicSpec,
  ensureTopics,
  type KafkaClients,
  readToEnd,
  topicsReady,
} from '@cqrs-shop/kafka';
import { type Logger, withLogContext } from '@cqrs-shop/logging';
import { contextOf, inSpan, type Span, SPAN_ATTRIBUTES, SpanKind } from '@cqrs-shop/telemetry';
import type { Admin, Consumer, KafkaMessage, Producer } from 'kafkajs';
import type { EventOutcome, ProjectorMetrics } from './metrics.js';
import type { ApplyRejection, ParkedAggregates, ProjectedEvent, Projection } from './types.js';

export interface ProjectorOptions {
  /** The projection's name, e.g. `analytics`; written into dead letters. */
  readonly name: string;
  /** Its own consumer group: every projection reads every event. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where poison events and the events parked behind them go, with the reason in a header. */
  readonly deadLetterTopic: string;
  readonly kafka: KafkaClients;
  readonly logger: Logger;
  readonly projection: Projection;
  readonly parked: ParkedAggregates;
  /** Attempts at an event whose apply keeps failing for an unexplained reason, before it is parked. @default 5 */
  readonly attempts?: number;
  /** First pause between attempts; it doubles up to `maxBackoffMs`. @default 100 ms */
  readonly backoffMs?: number;
  /** @default 10000 ms */
  readonly maxBackoffMs?: number;
  /** How often lag is measured from the group's committed offsets. @default 1000 ms */
  readonly lagIntervalMs?: number;
  /** The consumer's session timeout; heartbeats go every tenth of it. @default 10000 ms */
  readonly sessionTimeoutMs?: number;
  /**
   * Partitions applied at the same time. Events of one aggregate share a partition, so their
   * order holds; other aggregates' events need no order among them. @default 6
   */
  readonly partitionsConcurrently?: number;
  /**
   * Called when the consumer has stopped for good (kafkajs gives up on a non-retriable error,
   * e.g. after the group evicted it): without it the projection would stand still while
   * looking healthy. The service should end, so that it is started again.
   */
  readonly onCrash?: (error: Error) => void;
  /**
   * A replay (a rebuild reading history into a new version) rather than the live projection:
   * marked so in logs and status, and it never runs {@link ProjectorOptions.onFirstApplied}.
   */
  readonly replay?: boolean;
  /**
   * Applies only events that happened at or before this instant (ISO 8601): a point-in-time
   * model. Later events are passed over, their offsets committed.
   */
  readonly until?: string;
  /**
   * Work that must happen once per real event (a notification, a webhook), run after an event
   * was applied for the first time by the live projection — never during a replay or redrive,
   * and not for an event the read model already had. Its failure is logged, not retried: the
   * read model is already written.
   */
  readonly onFirstApplied?: (event: ProjectedEvent) => Promise<void>;
  /** Where events, dead letters and store errors are counted. */
  readonly metrics?: ProjectorMetrics;
}

/** How far behind one partition is. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Events on the partition not applied yet: the high watermark minus the committed offset. */
  readonly lagEvents: number;
  /**
   * While events are waiting, how long ago the last applied event happened (the waiting ones
   * happened after it, so this bounds how far the read model is behind); 0 when caught up.
   */
  readonly lagSeconds: number;
  readonly lastEventAt: string | null;
  /** The next offset to apply (the committed one), and the partition's first and end offsets. */
  readonly position: number;
  readonly start: number;
  readonly end: number;
}

export interface ProjectorStatus {
  readonly name: string;
  readonly running: boolean;
  /** `replay` while rebuilding a version from history. */
  readonly mode: 'live' | 'replay';
  readonly groupId: string;
  /** Events passed over because they happened after `until`. */
  readonly beyondUntil: number;
  /** False while the store does not answer (the projector waits and retries). */
  readonly storeAvailable: boolean;
  readonly applied: number;
  /** Events in the dead-letter topic (kept forever), counted at start and since. */
  readonly deadLettered: number;
  readonly partitions: readonly PartitionLag[];
}

/** What a redrive did: `redriven` when the aggregate was unparked. */
export interface RedriveResult {
  readonly aggregateKey: string;
  readonly redriven: boolean;
  /** Why it stays parked. */
  readonly reason?: string;
  readonly applied?: number;
  readonly events?: number;
}

export const DEAD_LETTER_HEADERS = {
  reason: 'dead-letter-reason',
  projection: 'dead-letter-projection',
  source: 'dead-letter-source',
  at: 'dead-letter-at',
  /** `live`, or `replay` when a rebuild dead-lettered it (the live projection did so before). */
  mode: 'dead-letter-mode',
} as const;

function describeRejection(rejection: ApplyRejection): string {
  const versions =
    rejection.version === undefined
      ? ''
      : ` (event version ${rejection.version}, read model at ${rejection.heldVersion ?? 0})`;
  return `${rejection.kind}${rejection.reason === undefined ? '' : `: ${rejection.reason}`}${versions}`;
}

type Decoded = { event: ProjectedEvent; aggregateKey: string } | { error: string; aggregateKey: string };

/**
 * Feeds a projection from Kafka: each event is applied durably before its offset is committed
 * (so a crash means redelivery, which the projection's version guard makes harmless); a store
 * outage is waited out; a poison event is parked together with every later event of the same
 * aggregate, while all other aggregates go on.
 */
export class Projector {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private storeAvailable = true;
  private applied = 0;
  private beyondUntil = 0;
  private deadLettered = 0;
  private readonly lag = new Map<string, PartitionLag>();
  private lagTimer: NodeJS.Timeout | undefined;
  private lagAdmin: Admin | undefined;
  private lagMeasuring: Promise<void> | undefined;
  /** Aggregates being redriven: the consumer holds their new events until the redrive ends. */
  private readonly redriving = new Map<string, Promise<unknown>>();

  private readonly untilMs: number | undefined;

  constructor(private readonly options: ProjectorOptions) {
    this.untilMs = options.until === undefined ? undefined : Date.parse(options.until);
    if (this.untilMs !== undefined && Number.isNaN(this.untilMs))
      throw new Error(`until must be an ISO 8601 instant, not ${options.until}`);
  }

  async start(): Promise<void> {
    const { kafka, groupId, topics, deadLetterTopic } = this.options;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [deadLetterTopicSpec(deadLetterTopic)]);
    await this.awaitTopics(admin);
    this.deadLettered = await this.countDeadLetters(admin);
    this.lagAdmin = admin;
    this.scheduleLagMeasurement(admin);
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    const sessionTimeout = this.options.sessionTimeoutMs ?? 10_000;
    const consumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    });
    this.consumer = consumer;
    await consumer.connect();
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.consumer = undefined;
      this.options.logger.fatal({ err: payload.error }, 'the consumer stopped for good');
      this.options.onCrash?.(payload.error);
    });
    // A new group starts at the beginning: the topics are the whole history of the shop.
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 6,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const isRunning = () => payload.isRunning();
        const heartbeat = () => payload.heartbeat();
        let next: string | undefined;
        let committed: string | undefined;
        let lastEventAt: string | null = null;
        let lastCommitAt = Date.now();
        const commit = async () => {
          if (next === undefined || next === committed) return;
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          committed = next;
          lastCommitAt = Date.now();
          this.recordLag(batch.topic, batch.partition, {
            position: Number(next),
            end: Number(batch.highWatermark),
            lastEventAt,
          });
        };
        for (const message of batch.messages) {
          if (!isRunning() || payload.isStale()) break;
          const decoded = this.decode(message);
          lastEventAt = 'event' in decoded ? decoded.event.envelope.occurredAt : lastEventAt;
          if (!(await this.settle(batch.topic, batch.partition, message, decoded, heartbeat, isRunning)))
            break;
          payload.resolveOffset(message.offset);
          next = (BigInt(message.offset) + 1n).toString();
          // A long batch on a busy machine must neither look dead to the group (heartbeats are
          // throttled by kafkajs, so this is cheap) nor leave much to re-apply after a crash.
          await heartbeat();
          if (Date.now() - lastCommitAt >= 1_000) await commit();
        }
        await commit();
      },
    });
  }

  /** Stops consuming after the event in hand; the offsets of applied events are committed. */
  async stop(): Promise<void> {
    clearTimeout(this.lagTimer);
    this.lagTimer = undefined;
    await this.lagMeasuring;
    await this.lagAdmin?.disconnect();
    this.lagAdmin = undefined;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.consumer = undefined;
    this.producer = undefined;
  }

  /**
   * Re-applies a parked aggregate's whole history, read from the event topics, once the cause of
   * its parking is fixed. Events the read model already has are skipped by its version guard;
   * if every other event applies, the aggregate is unparked. Meanwhile the consumer holds back
   * new events of this aggregate, so none is parked behind a redrive that has already passed it.
   * Runs in the replica that consumes the aggregate's partition (with one replica, always).
   */
  async redrive(aggregateKey: string): Promise<RedriveResult> {
    const running = this.redriveNow(aggregateKey);
    this.redriving.set(aggregateKey, running);
    try {
      return await running;
    } finally {
      this.redriving.delete(aggregateKey);
    }
  }

  private async redriveNow(aggregateKey: string): Promise<RedriveResult> {
    const { kafka, topics, parked, projection, logger } = this.options;
    if (!(await parked.isParked(aggregateKey)))
      return { aggregateKey, redriven: false, reason: 'not parked' };
    const history = await readToEnd(kafka, topics, (message) => {
      const key = `${message.headers?.['aggregate-type']?.toString() ?? ''}:${message.key?.toString() ?? ''}`;
      return key === aggregateKey;
    });
    let applied = 0;
    for (const { topic, partition, message } of history) {
      const decoded = this.decode(message);
      const reason =
        'error' in decoded
          ? `cannot be decoded: ${decoded.error}`
          : await projection.apply(decoded.event).then(
              (outcome) => {
                if (typeof outcome === 'object') return describeRejection(outcome);
                if (outcome === 'applied') applied++;
                return undefined;
              },
              (error: unknown) => (error instanceof Error ? error.message : String(error)),
            );
      if (reason !== undefined) {
        logger.warn(
          { aggregate: aggregateKey, topic, partition, offset: message.offset, reason },
          'redrive stopped',
        );
        return {
          aggregateKey,
          redriven: false,
          reason: `${topic}/${partition}/${message.offset}: ${reason}`,
          applied,
        };
      }
    }
    await parked.unpark(aggregateKey);
    logger.info({ aggregate: aggregateKey, events: history.length, applied }, 'aggregate redriven');
    return { aggregateKey, redriven: true, applied, events: history.length };
  }

  /**
   * Waits until the event topics exist with leaders: whoever owns them (the relay, or a
   * topic-creation job) creates them with their partition counts, and a projector started
   * first must not fail.
   */
  private async awaitTopics(admin: Admin): Promise<void> {
    for (let waited = false; !(await topicsReady(admin, this.options.topics)); waited = true) {
      if (!waited) this.options.logger.warn({ topics: this.options.topics }, 'waiting for the event topics');
      await delay(250);
    }
  }

  /** What the dead-letter topic holds, so that the count survives restarts. */
  private async countDeadLetters(admin: Admin): Promise<number> {
    // A topic created a moment ago may not have elected its partition leader yet.
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(this.options.deadLetterTopic);
        return offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
      } catch (error) {
        const retriable =
          typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;
        if (!retriable || attempt >= 20) throw error;
        await delay(250);
      }
    }
  }

  private recordLag(
    topic: string,
    partition: number,
    measured: { position: number; end: number; start?: number; lastEventAt: string | null },
  ): void {
    const key = `${topic}:${partition}`;
    const known = this.lag.get(key);
    const at = measured.lastEventAt ?? known?.lastEventAt ?? null;
    const lagEvents = Math.max(0, measured.end - measured.position);
    this.lag.set(key, {
      topic,
      partition,
      lagEvents,
      lagSeconds: lagEvents > 0 && at ? Math.max(0, (Date.now() - Date.parse(at)) / 1_000) : 0,
      lastEventAt: at,
      position: measured.position,
      start: measured.start ?? known?.start ?? 0,
      end: measured.end,
    });
  }

  /**
   * Lag from the group's committed offsets, measured apart from consuming: a projector stuck on
   * an unavailable store, or one that has not received a batch yet, still reports how far
   * behind it is.
   */
  private async measureLag(admin: Admin): Promise<void> {
    const { groupId, topics } = this.options;
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [...topics] }),
      Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
    ]);
    for (const { topic, partitions } of ends) {
      const offsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const { partition, high, low } of partitions) {
        const at = offsets.find((o) => o.partition === partition)?.offset ?? '-1';
        // No commit yet: the group starts at the beginning of what the partition holds.
        const position = BigInt(at) < 0n ? BigInt(low) : BigInt(at);
        this.recordLag(topic, partition, {
          position: Number(position),
          end: Number(high),
          start: Number(low),
          lastEventAt: null,
        });
      }
    }
  }

  private scheduleLagMeasurement(admin: Admin): void {
    const interval = this.options.lagIntervalMs ?? 1_000;
    const measure = () => {
      this.lagMeasuring = this.measureLag(admin)
        .catch((error: unknown) => {
          this.options.logger.debug({ err: error }, 'lag not measured');
        })
        .finally(() => {
          this.lagMeasuring = undefined;
          // Stopped meanwhile: stop() disconnects the admin client.
          if (this.lagTimer === undefined) return;
          this.lagTimer = setTimeout(measure, interval);
          this.lagTimer.unref();
        });
    };
    this.lagTimer = setTimeout(measure, 0);
    this.lagTimer.unref();
  }

  status(): ProjectorStatus {
    return {
      name: this.options.name,
      running: this.consumer !== undefined,
      mode: this.options.replay === true ? 'replay' : 'live',
      groupId: this.options.groupId,
      beyondUntil: this.beyondUntil,
      storeAvailable: this.storeAvailable,
      applied: this.applied,
      deadLettered: this.deadLettered,
      partitions: [...this.lag.values()].sort(
        (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
      ),
    };
  }

  private decode(message: KafkaMessage): Decoded {
    const headerKey = () => {
      const type = message.headers?.['aggregate-type']?.toString();
      const id = message.headers?.['aggregate-id']?.toString() ?? message.key?.toString();
      return `${type ?? 'unknown'}:${id ?? 'unknown'}`;
    };
    try {
      const envelope = fromKafkaHeaders(message.headers);
      const decoded = decodeEvent(message.value ?? Buffer.alloc(0));
      if (decoded.eventType !== envelope.eventType) {
        return {
          error: `payload is ${decoded.eventType} but the headers say ${envelope.eventType}`,
          aggregateKey: headerKey(),
        };
      }
      const event = { envelope, payload: decoded.payload } as ProjectedEvent;
      return { event, aggregateKey: `${envelope.aggregateType}:${envelope.aggregateId}` };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error), aggregateKey: headerKey() };
    }
  }

  /**
   * Handles one event in its command's trace (its context travels in the `traceparent` header),
   * with its ids on every log line, and counts it; false when stopped before it was settled.
   *
   * A replay is not traced: it re-reads the whole history, and a span per old event would flood
   * the trace backend with spans attached to traces long finished. Its progress is in the
   * version records and the metrics.
   */
  private async settle(
    topic: string,
    partition: number,
    message: KafkaMessage,
    decoded: Decoded,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<boolean> {
    const started = process.hrtime.bigint();
    const envelope = 'event' in decoded ? decoded.event.envelope : undefined;
    const eventType = envelope?.eventType ?? 'undecodable';
    const work = async (span?: Span): Promise<boolean> => {
      const outcome = await this.handle(topic, partition, message, decoded, heartbeat, isRunning);
      if (outcome === undefined) return false;
      span?.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
      this.options.metrics?.recordEvent(eventType, outcome, Number(process.hrtime.bigint() - started) / 1e9);
      return true;
    };
    const ids = envelope
      ? { eventId: envelope.eventId, commandId: envelope.commandId, correlationId: envelope.correlationId }
      : {};
    return withLogContext(ids, () => {
      if (this.options.replay === true) return work();
      const traceparent = envelope?.traceparent ?? message.headers?.traceparent?.toString();
      return inSpan(
        `apply ${eventType}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextOf(traceparent),
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': topic,
            'messaging.destination.partition.id': String(partition),
            'messaging.kafka.offset': Number(message.offset),
            'messaging.consumer.group.name': this.options.groupId,
            [SPAN_ATTRIBUTES.projection]: this.options.name,
            [SPAN_ATTRIBUTES.eventType]: eventType,
            ...(envelope
              ? {
                  [SPAN_ATTRIBUTES.eventId]: envelope.eventId,
                  [SPAN_ATTRIBUTES.commandId]: envelope.commandId,
                  [SPAN_ATTRIBUTES.aggregateId]: envelope.aggregateId,
                  [SPAN_ATTRIBUTES.waitedMs]: Date.now() - Date.parse(envelope.occurredAt),
                }
              : {}),
          },
        },
        work,
      );
    });
  }

  /** Applies, parks or passes over one event; undefined when stopped before it was settled. */
  private async handle(
    topic: string,
    partition: number,
    message: KafkaMessage,
    decoded: Decoded,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<EventOutcome | undefined> {
    const { parked, projection, logger, attempts = 5, backoffMs = 100, maxBackoffMs = 10_000 } = this.options;
    if ('error' in decoded) {
      await this.park(
        topic,
        partition,
        message,
        decoded.aggregateKey,
        `cannot be decoded: ${decoded.error}`,
        heartbeat,
        isRunning,
      );
      return 'parked';
    }
    if (this.untilMs !== undefined && Date.parse(decoded.event.envelope.occurredAt) > this.untilMs) {
      this.beyondUntil++;
      return 'beyond_until';
    }
    await this.redriving.get(decoded.aggregateKey)?.catch(() => undefined);
    const isParked = await this.untilStoreAnswers(
      () => parked.isParked(decoded.aggregateKey),
      heartbeat,
      isRunning,
    );
    if (isParked) {
      await this.park(
        topic,
        partition,
        message,
        decoded.aggregateKey,
        'parked behind an earlier event of the same aggregate',
        heartbeat,
        isRunning,
      );
      return 'parked';
    }
    let failures = 0;
    let pause = backoffMs;
    while (isRunning()) {
      try {
        const outcome = await projection.apply(decoded.event);
        this.storeAvailable = true;
        if (typeof outcome === 'object') {
          await this.park(
            topic,
            partition,
            message,
            decoded.aggregateKey,
            describeRejection(outcome),
            heartbeat,
            isRunning,
          );
          return 'parked';
        }
        if (outcome !== 'applied') return 'skipped';
        this.applied++;
        await this.runFirstApplied(decoded.event);
        return 'applied';
      } catch (error) {
        this.options.metrics?.recordStoreError();
        const retriable =
          typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;
        if (retriable) {
          if (this.storeAvailable) logger.warn({ err: error }, 'store unavailable; waiting');
          this.storeAvailable = false;
        } else if (++failures >= attempts) {
          const reason = error instanceof Error ? error.message : String(error);
          await this.park(
            topic,
            partition,
            message,
            decoded.aggregateKey,
            `failed ${failures} times: ${reason}`,
            heartbeat,
            isRunning,
          );
          return 'parked';
        }
        await this.pause(pause, heartbeat);
        pause = Math.min(pause * 2, maxBackoffMs);
      }
    }
    // Stopped before the event was applied: its offset must not be committed.
    return undefined;
  }

  private async runFirstApplied(event: ProjectedEvent): Promise<void> {
    const { onFirstApplied, replay, logger } = this.options;
    if (!onFirstApplied || replay === true) return;
    await onFirstApplied(event).catch((error: unknown) => {
      logger.error({ err: error, eventId: event.envelope.eventId }, 'once-per-event work failed');
    });
  }

  /**
   * Runs a call on the parking records, which live in the read model's store, until the store
   * answers: without them the projector cannot tell whether an event may be applied, so it waits
   * (reported as the store being unavailable) as it does for an apply. Gives up only on shutdown,
   * leaving the event's offset uncommitted.
   */
  private async untilStoreAnswers<T>(
    work: () => Promise<T>,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<T> {
    const { backoffMs = 100, maxBackoffMs = 10_000, logger } = this.options;
    for (let pause = backoffMs; ; pause = Math.min(pause * 2, maxBackoffMs)) {
      try {
        const result = await work();
        this.storeAvailable = true;
        return result;
      } catch (error) {
        if (!isRunning()) throw error;
        this.options.metrics?.recordStoreError();
        if (this.storeAvailable) logger.warn({ err: error }, 'store unavailable; waiting');
        this.storeAvailable = false;
        await this.pause(pause, heartbeat);
      }
    }
  }

  /** Waits, heartbeating, so the group does not take the partition away meanwhile. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    for (let waited = 0; waited < ms; waited += 1_000) {
      await delay(Math.min(1_000, ms - waited));
      await heartbeat();
    }
  }

  private async park(
    topic: string,
    partition: number,
    message: KafkaMessage,
    aggregateKey: string,
    reason: string,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('the projector is not running');
    // Dead letter first, then the parked mark: after a crash in between, the event is only
    // dead-lettered again, never lost.
    await producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DEAD_LETTER_HEADERS.reason]: reason,
            [DEAD_LETTER_HEADERS.projection]: this.options.name,
            [DEAD_LETTER_HEADERS.source]: `${topic}/${partition}/${message.offset}`,
            [DEAD_LETTER_HEADERS.at]: new Date().toISOString(),
            [DEAD_LETTER_HEADERS.mode]: this.options.replay === true ? 'replay' : 'live',
          },
        },
      ],
    });
    await this.untilStoreAnswers(() => this.options.parked.park(aggregateKey, reason), heartbeat, isRunning);
    this.deadLettered++;
    this.options.metrics?.recordDeadLetter();
    this.options.logger.error(
      { aggregate: aggregateKey, topic, partition, offset: message.offset, reason },
      'event parked',
    );
  }
}
