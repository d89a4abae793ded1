import { canRetry } from '@cqrs-shop/errors';
import { setTimeout as delay } from 'node:timers/promises';
import { fromKafkaHeaders } from '@cqrs-shop/events';
import { decodeEvent } from '@cqrs-shop/event-codec';
import {
  advertisingAssigner,
  deadLetterTopicSpec,
  ensureTopics,
  groupMembers,
  type KafkaClients,
  readPartition,
  readToEnd,
  topicsReady,
} from '@cqrs-shop/kafka';
import { type Logger, withLogContext } from '@cqrs-shop/logging';
import {
  contextOf,
  inSpan,
  type Link,
  ROOT_CONTEXT,
  SPAN_ATTRIBUTES,
  SpanKind,
  spanContextOf,
} from '@cqrs-shop/telemetry';
import type { Admin, Batch, Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { applyBatch, type ApplyContext, type BatchResult } from './batch-applier.js';
import { type Decoded, describeRejection } from './batch.js';
import { DEAD_LETTER_HEADERS, DeadLetterTopic } from './dead-letters.js';
import { LagTracker, type PartitionLag } from './lag.js';
import type { ProjectorMetrics } from './metrics.js';
import { ParkedSet } from './parked-set.js';
import { PartitionCursor, partitionKey } from './partition-cursor.js';
import { ReadFirstGate } from './read-first-gate.js';
import {
  type CheckpointMove,
  type ParkedAggregates,
  type ProjectedEvent,
  type Projection,
} from '@cqrs-shop/read-models';

export { DEAD_LETTER_HEADERS } from './dead-letters.js';

/** How long a dead-letter topic keeps its messages unless told otherwise: 30 days. */
export const DEAD_LETTER_RETENTION_MS = 30 * 24 * 3_600_000;
export type { PartitionLag } from './lag.js';

/** Events a replay applies as one batch, and the bytes per partition it fetches at once. */
const REPLAY_BATCH_SIZE = 10_000;
const REPLAY_FETCH_BYTES = 8 * 1024 * 1024;

export interface ProjectorOptions {
  /** The projection's name, e.g. `analytics`; written into dead letters. */
  readonly name: string;
  /** Its own consumer group: every projection reads every event. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /**
   * Of `topics`, those whose events the others are joined with (the customers an order shows):
   * at start, the others wait until these are in the store up to where they ended then, so that
   * history is not written first without the join and then once more with it. @default none
   */
  readonly readFirst?: readonly string[];
  /** Where poison events and the events parked behind them go, with the reason in a header. */
  readonly deadLetterTopic: string;
  readonly kafka: KafkaClients;
  readonly logger: Logger;
  readonly projection: Projection;
  readonly parked: ParkedAggregates;
  /** Attempts at an aggregate whose write keeps failing for an unexplained reason, before it is parked. @default 5 */
  readonly attempts?: number;
  /**
   * And the least time such an aggregate is retried from its first failure before it is parked:
   * a store's hiccup it did not explain must not park anything. @default 30000 ms
   */
  readonly retryBudgetMs?: number;
  /** First pause between attempts; it doubles up to `maxBackoffMs`. @default 100 ms */
  readonly backoffMs?: number;
  /** @default 10000 ms */
  readonly maxBackoffMs?: number;
  /** How often lag is measured and applied offsets are committed to Kafka. @default 1000 ms */
  readonly lagIntervalMs?: number;
  /**
   * How far apart a partition's checkpoint writes are at least: one goes with a batch only when
   * this long has passed since the last, and what was applied after it is checkpointed by the
   * next housekeeping (or batch) once due, and when stopping. A crash replays at most that much,
   * absorbed by the version guards. 0 writes one with every batch (a store whose checkpoint
   * rides in the batch's own request loses nothing by it). @default 1000 ms
   */
  readonly checkpointIntervalMs?: number;
  /** How long the dead-letter topic keeps its messages (0: forever). @default 30 days */
  readonly deadLetterRetentionMs?: number;
  /**
   * The address at which the other members of the group reach this one's HTTP endpoint (for a
   * redrive sent to a member that does not consume the aggregate's partition), told to them in
   * the group's metadata. Read at each join.
   */
  readonly advertisedUrl?: () => string | undefined;
  /** The consumer's session timeout; heartbeats go every tenth of it. @default 10000 ms */
  readonly sessionTimeoutMs?: number;
  /**
   * Partitions applied at the same time. Events of one aggregate share a partition, so their
   * order holds; other aggregates' events need no order among them. @default 6
   */
  readonly partitionsConcurrently?: number;
  /**
   * The most events applied as one batch (one request per store). Kafka hands over what has
   * arrived; nothing waits for a batch to fill. @default 500 (live), 10000 (replay)
   */
  readonly batchSize?: number;
  /**
   * The least time from one fetch's answer to the next fetch, while events keep coming: what
   * arrives meanwhile waits in Kafka and is applied as one batch (one fetch, one store request)
   * instead of one at a time. An event after a quiet spell of at least this long is applied at
   * once; one that follows another sooner waits at most this long. 0: fetch again as soon as a
   * batch is applied. @default 0
   */
  readonly fetchIntervalMs?: number;
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

export interface ProjectorStatus {
  readonly name: string;
  readonly running: boolean;
  /** `replay` while rebuilding a version from history. */
  readonly mode: 'live' | 'replay';
  /**
   * True while partitions are replayed because the store had lost what it had applied (its
   * checkpoints were behind the group's offsets, or gone): the read model is incomplete.
   */
  readonly recovering: boolean;
  readonly groupId: string;
  /** Events passed over because they happened after `until`. */
  readonly beyondUntil: number;
  /** False while the store does not answer (the projector waits and retries). */
  readonly storeAvailable: boolean;
  readonly applied: number;
  /** Events in the dead-letter topic (within its retention), counted at start and since. */
  readonly deadLettered: number;
  /** Times kafkajs gave the consumer up for good and the projector joined the group with a new one. */
  readonly rejoined: number;
  /**
   * When the partitions' ends were last read from Kafka (null: not yet). While Kafka does not
   * answer, the lag below is as of then: readers must call it unknown, not trust a stale 0.
   */
  readonly lagMeasuredAt: string | null;
  readonly partitions: readonly PartitionLag[];
  /** The partitions this member consumes, by topic, as the group assigned them at its last join. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  /**
   * The partitions of the topics read first (see {@link ProjectorOptions.readFirst}) not in the
   * store yet, as `topic/partition`: while any is listed, the other topics wait.
   */
  readonly readingFirst: readonly string[];
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

/** Where an aggregate's first dead letter came from: where its redrive starts reading. */
export interface EventSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Where a redrive of an aggregate must run: in the member that consumes its partition, since
 * that member holds back the aggregate's new events while the redrive runs.
 */
export type RedrivePlace =
  | { readonly kind: 'here'; readonly source: EventSource | undefined }
  | { readonly kind: 'member'; readonly url: string; readonly memberId: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Runs a Kafka admin call until it stops failing with a retriable error (for about 10 s): on a
 * broker that has just started, or a topic created a moment ago, the group coordinator or a
 * partition leader may not be elected yet.
 */
async function whileSettling<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!canRetry(error) || attempt >= 40) throw error;
      await delay(250);
    }
  }
}

/** Links from a batch span to the spans of the events' commands (a span has one parent). */
const MAX_LINKS = 64;

/**
 * Feeds a projection from Kafka a batch at a time: what Kafka hands over for a partition is
 * grouped by aggregate, folded, and written as one change per aggregate in one request per
 * store, followed by the partition's checkpoint in the same store. The checkpoint, not Kafka's
 * committed offset, says where to go on: a member given a partition seeks to it, so a store
 * that lost data (restored, flushed, a crash that lost its last writes) is replayed from what
 * it really holds, and reported as recovering meanwhile. Kafka commits follow, for lag tooling.
 * A store outage is waited out; a poison event is parked together with every later event of
 * the same aggregate, while all other aggregates go on.
 */
/** How often the store's checkpoints are checked for data lost while a partition waits. */
const CHECKPOINT_AUDIT_MS = 5_000;

export class Projector {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private deadLetters: DeadLetterTopic | undefined;
  private readonly parked: ParkedSet;
  private parkedLoading: Promise<void> | undefined;
  private storeAvailable = true;
  private applied = 0;
  private beyondUntil = 0;
  private deadLettered = 0;
  /** Times the consumer was given up by kafkajs and replaced. */
  private rejoined = 0;
  private readonly lag: LagTracker;
  private readonly cursors = new Map<string, PartitionCursor>();
  private lagTimer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private housekeeping: Promise<void> | undefined;
  /** When {@link auditCheckpoints} last read the store's checkpoints. */
  private checkpointsAuditedAt = 0;
  /** The checkpoint writes in progress, started by the housekeeping. */
  private checkpointing: Promise<void> | undefined;
  /** Set by stop(): batches in hand end, new ones are left alone. */
  private stopping = false;
  /** Aggregates being redriven: the consumer holds their new events until the redrive ends. */
  private readonly redriving = new Map<string, Promise<unknown>>();
  /** The partitions the group gave this member at its last join, by topic. */
  private assignment: Readonly<Record<string, readonly number[]>> = {};
  private readonly untilMs: number | undefined;
  private readonly readFirst: ReadFirstGate;

  constructor(private readonly options: ProjectorOptions) {
    this.readFirst = new ReadFirstGate(options.readFirst ?? []);
    this.untilMs = options.until === undefined ? undefined : Date.parse(options.until);
    if (this.untilMs !== undefined && Number.isNaN(this.untilMs))
      throw new Error(`until must be an ISO 8601 instant, not ${options.until}`);
    this.parked = new ParkedSet(options.parked);
    this.lag = new LagTracker(options.groupId, options.topics);
  }

  async start(): Promise<void> {
    const { kafka, deadLetterTopic, name, replay } = this.options;
    const admin = kafka.admin();
    await admin.connect();
    this.admin = admin;
    await ensureTopics(admin, [
      deadLetterTopicSpec(deadLetterTopic, this.options.deadLetterRetentionMs ?? DEAD_LETTER_RETENTION_MS),
    ]);
    await this.awaitTopics(admin);
    this.deadLettered = await this.countDeadLetters(admin);
    await this.parked.reload();
    await this.reconcile(admin);
    this.scheduleHousekeeping();
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.deadLetters = new DeadLetterTopic(
      this.producer,
      deadLetterTopic,
      name,
      replay === true ? 'replay' : 'live',
    );
    await this.consume();
  }

  /** Joins the group and consumes until stopped, or until kafkajs gives the consumer up. */
  private async consume(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const sessionTimeout = this.options.sessionTimeoutMs ?? 10_000;
    const consumer = kafka.consumer({
      groupId,
      // How long the broker holds a fetch while there is nothing new (it answers at once when
      // there is): longer costs seeks and rebalances that much reaction time, shorter costs every
      // idle consumer and the broker a fetch each time (at 100 ms, a few per cent of a core).
      maxWaitTimeInMs: 500,
      // A replay takes more history per partition and fetch than kafkajs' 1 MB (about 3,000
      // events): the more of an aggregate's events one batch holds, the fewer writes it leaves.
      ...(this.options.replay === true
        ? { maxBytesPerPartition: REPLAY_FETCH_BYTES, maxBytes: 8 * REPLAY_FETCH_BYTES }
        : {}),
      sessionTimeout,
      heartbeatInterval: this.heartbeatIntervalMs(),
      partitionAssigners: [
        advertisingAssigner(() => {
          const url = this.options.advertisedUrl?.();
          return url === undefined ? {} : { url };
        }),
      ],
    });
    this.consumer = consumer;
    await consumer.connect();
    if (this.stopping) return;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      void this.rejoin(consumer, payload.error);
    });
    // A new assignment: the store's checkpoints and parked aggregates are read again, since
    // another member may have moved them while it had the partitions.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = payload.memberAssignment;
      this.cursors.clear();
      this.lag.disown();
      this.parkedLoading = undefined;
    });
    // A new group starts at the beginning: the topics are the whole history of the shop.
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 6,
      eachBatch: async (payload) => {
        if (this.readFirst.holds(payload.batch.topic)) {
          // Fetched again from where it was once resumed: nothing of it has been applied.
          this.readFirst.hold(payload.pause());
          return;
        }
        const arrived = performance.now();
        if (!(await this.applyFetched(payload))) return;
        // Pacing: the next fetch waits (all partitions of this one wait alike) until the interval
        // since this one's answer has passed — a lone event was applied already, and the events
        // that follow closely gather into one batch. A batch slower than that waits for nothing.
        const pause = arrived + (this.options.fetchIntervalMs ?? 0) - performance.now();
        if (pause > 0 && !this.stopping) await delay(pause);
      },
    });
  }

  /**
   * Applies one fetched batch of a partition, in slices of the batch size, moving the partition's
   * cursor; false when it stopped short (stopping, a lost assignment, a moved checkpoint).
   */
  private async applyFetched(payload: EachBatchPayload): Promise<boolean> {
    const { batch } = payload;
    const key = partitionKey(batch.topic, batch.partition);
    const isRunning = () => payload.isRunning() && !payload.isStale() && !this.stopping;
    const heartbeat = () => payload.heartbeat();
    const cursor = await this.cursor(batch, heartbeat, isRunning);
    if (!cursor || !this.inPlace(batch, cursor)) return false;
    const size = this.options.batchSize ?? (this.options.replay === true ? REPLAY_BATCH_SIZE : 500);
    for (let from = 0; from < batch.messages.length; from += size) {
      if (!isRunning()) return false;
      const messages = batch.messages.slice(from, from + size);
      const last = messages.at(-1);
      if (!last) return false;
      const next = Number(last.offset) + 1;
      const { result, move } = await cursor.exclusive(() =>
        this.heartbeating(heartbeat, async () => {
          const move = cursor.moveWith(next, Date.now());
          return {
            move,
            result: await this.applyMessages(batch, messages, move, heartbeat, isRunning),
          };
        }),
      );
      if (result.kind === 'stopped') return false;
      if (result.kind === 'checkpoint-moved') {
        this.cursors.delete(key);
        const again = await this.cursor(batch, heartbeat, isRunning);
        if (again) this.inPlace(batch, again);
        return false;
      }
      cursor.advanced(next, move, Date.now());
      this.firstTopicReached(batch.topic, batch.partition, next);
      payload.resolveOffset(last.offset);
      this.lag.record(batch.topic, batch.partition, {
        position: next,
        end: Number(batch.highWatermark),
        lastEventAt: this.lastEventAt(messages),
      });
      await heartbeat();
    }
    return true;
  }

  /**
   * kafkajs gives a consumer up for good on errors it deems fatal — the group forgot the member
   * ("The coordinator is not aware of this member"), a broker restart at the wrong moment. A
   * projector must not stand still looking healthy, nor exit and wait for a supervisor: it drops
   * the consumer and joins the group with a new one (pausing up to 10 s between attempts), going
   * on from the store's checkpoints as after any rebalance.
   */
  private async rejoin(dead: Consumer, error: Error): Promise<void> {
    const { logger } = this.options;
    if (this.consumer !== dead) return;
    this.consumer = undefined;
    this.cursors.clear();
    this.lag.disown();
    this.parkedLoading = undefined;
    logger.error({ err: error }, 'the consumer stopped; joining the group again');
    await dead.disconnect().catch(() => undefined);
    for (let pause = 1_000; !this.stopping; pause = Math.min(pause * 2, 10_000)) {
      try {
        await this.consume();
        this.rejoined++;
        logger.info({ rejoined: this.rejoined }, 'consuming again');
        return;
      } catch (failure) {
        const consumer = this.consumer as Consumer | undefined;
        this.consumer = undefined;
        await consumer?.disconnect().catch(() => undefined);
        logger.warn({ err: failure, pauseMs: pause }, 'could not join the group; trying again');
        await delay(pause);
      }
    }
  }

  /**
   * Stops consuming after the batch in hand; what was applied is checkpointed in the store and
   * committed to Kafka too.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.lagTimer);
    this.lagTimer = undefined;
    await this.housekeeping;
    await Promise.all([...this.cursors.values()].map((cursor) => cursor.idle()));
    await this.checkpointing;
    await this.writeCheckpoints(true).catch((error: unknown) => {
      this.options.logger.warn(
        { err: error },
        'checkpoints not written; the next start replays from the last ones',
      );
    });
    await this.commitApplied().catch(() => undefined);
    await this.admin?.disconnect();
    this.admin = undefined;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.consumer = undefined;
    this.producer = undefined;
  }

  /**
   * Compares the store's checkpoints with the group's committed offsets before consuming: where
   * the store is behind (it lost data while the projector was away), the partition is reported
   * as recovering at once — never as caught up — and the group is moved back to the store's
   * checkpoint when it has no other member (otherwise the member given the partition seeks there).
   */
  private async reconcile(admin: Admin): Promise<void> {
    const { projection, groupId, topics, logger } = this.options;
    const [stored, committed, ends] = await Promise.all([
      projection.checkpoints(topics),
      whileSettling(() => admin.fetchOffsets({ groupId, topics: [...topics] })),
      whileSettling(() =>
        Promise.all(
          topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })),
        ),
      ),
    ]);
    const behind: { topic: string; partition: number; offset: string }[] = [];
    for (const { topic, partitions } of ends)
      for (const { partition, low, high } of partitions) {
        const start = Number(low);
        const at = Number(
          committed.find((c) => c.topic === topic)?.partitions.find((p) => p.partition === partition)
            ?.offset ?? -1,
        );
        const checkpoint = stored.find((c) => c.topic === topic && c.partition === partition)?.next;
        const expected = Math.max(checkpoint ?? start, start);
        this.readFirst.expect(topic, partition, expected, Number(high));
        if (at <= expected) continue;
        behind.push({ topic, partition, offset: String(expected) });
        this.lag.record(topic, partition, {
          position: expected,
          end: Number(high),
          start,
          recoveringUntil: Number(high),
        });
      }
    if (!this.readFirst.open)
      logger.info(
        { partitions: this.readFirst.awaited() },
        'taking in the topics that others are joined with before the others',
      );
    if (behind.length === 0) return;
    logger.warn(
      { partitions: behind.map((p) => `${p.topic}/${p.partition}@${p.offset}`) },
      "the store is behind the group's offsets (it lost data); replaying from its checkpoints",
    );
    for (const topic of new Set(behind.map((p) => p.topic)))
      await admin
        .setOffsets({
          groupId,
          topic,
          partitions: behind
            .filter((p) => p.topic === topic)
            .map(({ partition, offset }) => ({ partition, offset })),
        })
        .catch((error: unknown) => {
          logger.debug(
            { err: error },
            'group offsets not moved (it has members); the consumer seeks instead',
          );
        });
  }

  /**
   * The partition's cursor: on the first batch after an assignment, the store's checkpoint is
   * read (until the store answers). Undefined when stopped meanwhile.
   */
  private async cursor(
    batch: Batch,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<PartitionCursor | undefined> {
    const key = partitionKey(batch.topic, batch.partition);
    const known = this.cursors.get(key);
    if (known) return known;
    this.parkedLoading ??= this.parked.reload();
    const stored = await this.untilAnswered(
      async () => {
        await this.parkedLoading;
        const checkpoints = await this.options.projection.checkpoints([batch.topic]);
        return checkpoints.find((c) => c.partition === batch.partition)?.next ?? null;
      },
      heartbeat,
      isRunning,
    );
    if (stored === undefined) return undefined;
    const cursor = new PartitionCursor(
      batch.topic,
      batch.partition,
      stored,
      this.options.checkpointIntervalMs ?? 1_000,
      Date.now(),
    );
    this.cursors.set(key, cursor);
    return cursor;
  }

  /**
   * Whether the batch starts where the store's checkpoint says the partition goes on. If not,
   * seeks there: forward past what the store has (Kafka's committed offset lags behind it), or
   * back to replay what the store lost — reported as recovering until the partition's end as
   * it was then, and committed to Kafka at once so that lag tooling sees it too.
   */
  private inPlace(batch: Batch, cursor: PartitionCursor): boolean {
    const first = batch.messages[0];
    if (!first) return false;
    const offset = Number(first.offset);
    const start = this.lag.get(batch.topic, batch.partition)?.start ?? 0;
    const expected = Math.max(cursor.applied ?? start, start);
    // Nothing lies between where the consumer was sent and this batch (offsets may have gaps).
    if (offset === expected || (cursor.sought === expected && offset > expected)) return true;
    const consumer = this.consumer;
    if (!consumer) return false;
    if (offset > expected) {
      const end = Number(batch.highWatermark);
      this.options.logger.warn(
        { topic: batch.topic, partition: batch.partition, checkpoint: cursor.stored, offset, end },
        "the store is behind the group's offsets (it lost data); replaying the partition from its checkpoint",
      );
      this.lag.record(batch.topic, batch.partition, { position: expected, end, start, recoveringUntil: end });
      void consumer
        .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(expected) }])
        .catch((error: unknown) => {
          this.options.logger.debug({ err: error }, 'replay position not committed');
        });
    } else
      this.lag.record(batch.topic, batch.partition, { position: expected, end: Number(batch.highWatermark) });
    cursor.soughtTo(expected);
    consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(expected) });
    return false;
  }

  private async applyMessages(
    batch: Batch,
    messages: readonly KafkaMessage[],
    move: CheckpointMove | undefined,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<BatchResult> {
    const started = process.hrtime.bigint();
    const decoded = messages.map((message) => this.decode(message));
    const redrives = decoded.flatMap((item) => {
      const redrive = this.redriving.get(item.aggregateKey);
      return redrive ? [redrive.catch(() => undefined)] : [];
    });
    if (redrives.length > 0) await Promise.all(redrives);
    const context = this.applyContext(batch, messages, heartbeat, isRunning);
    const result = await this.inBatchSpan(batch, messages, decoded, async () => {
      const settled = await applyBatch(context, decoded, move ? [move] : []);
      return {
        result: settled,
        outcome: settled.kind === 'settled' ? this.summary(settled.outcomes) : settled.kind,
      };
    });
    if (result.kind !== 'settled') return result;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    result.outcomes.forEach((outcome, i) => {
      const item = decoded[i];
      const eventType = item && 'event' in item ? item.event.envelope.eventType : 'undecodable';
      if (outcome === 'applied') this.applied++;
      if (outcome === 'beyond_until') this.beyondUntil++;
      if (outcome === 'parked') {
        this.deadLettered++;
        this.options.metrics?.recordDeadLetter();
      }
      this.options.metrics?.recordEvent(eventType, outcome, seconds);
    });
    for (const event of result.firstApplied) await this.runFirstApplied(event);
    return result;
  }

  private applyContext(
    batch: Batch,
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): ApplyContext {
    const {
      projection,
      logger,
      attempts = 5,
      retryBudgetMs = 30_000,
      backoffMs = 100,
      maxBackoffMs = 10_000,
    } = this.options;
    return {
      projection,
      parked: this.parked,
      deadLetter: async (letters) => {
        const deadLetters = this.deadLetters;
        if (!deadLetters) throw new Error('the projector is not running');
        await deadLetters.send(
          letters.flatMap(({ index, reason }) => {
            const message = messages[index];
            return message ? [{ topic: batch.topic, partition: batch.partition, message, reason }] : [];
          }),
        );
        for (const { index, reason } of letters)
          logger.error(
            { topic: batch.topic, partition: batch.partition, offset: messages[index]?.offset, reason },
            'event parked',
          );
      },
      policy: { attempts, budgetMs: retryBudgetMs, backoffMs, maxBackoffMs },
      now: () => Date.now(),
      logger,
      ...(this.untilMs === undefined ? {} : { untilMs: this.untilMs }),
      pause: (ms) => this.pause(ms, heartbeat),
      isRunning,
      storeAnswered: (available, error) => {
        if (!available) {
          this.options.metrics?.recordStoreError();
          if (this.storeAvailable) logger.warn({ err: error }, 'store unavailable; waiting');
        }
        this.storeAvailable = available;
      },
    };
  }

  private summary(outcomes: readonly string[]): string {
    const distinct = new Set(outcomes);
    return distinct.size === 1 ? (outcomes[0] ?? 'skipped') : 'mixed';
  }

  /**
   * Runs a batch in one span. A batch of one event continues that event's trace (its context
   * travels in the `traceparent` header), as before batching; a larger one is its own trace,
   * linked to the events' traces. A replay is not traced: a span per old batch would attach to
   * traces long finished. Its progress is in the version records and the metrics.
   */
  private async inBatchSpan(
    batch: Batch,
    messages: readonly KafkaMessage[],
    decoded: readonly Decoded[],
    work: () => Promise<{ result: BatchResult; outcome: string }>,
  ): Promise<BatchResult> {
    if (this.options.replay === true) return (await work()).result;
    const events = decoded.flatMap((item) => ('event' in item ? [item.event] : []));
    const [only] = events;
    const single = events.length === 1 && decoded.length === 1 ? only : undefined;
    const traceparents = messages.map(
      (message, i) =>
        (decoded[i] && 'event' in decoded[i] ? decoded[i].event.envelope.traceparent : undefined) ??
        message.headers?.traceparent?.toString(),
    );
    const eventType = single?.envelope.eventType ?? (events.length === 0 ? 'undecodable' : 'batch');
    const links: Link[] = single
      ? []
      : traceparents.slice(0, MAX_LINKS).flatMap((traceparent) => {
          const linked = spanContextOf(traceparent);
          return linked ? [{ context: linked }] : [];
        });
    const run = () =>
      inSpan(
        `apply ${eventType}`,
        {
          kind: SpanKind.CONSUMER,
          parent: single ? contextOf(traceparents[0]) : ROOT_CONTEXT,
          links,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': batch.topic,
            'messaging.destination.partition.id': String(batch.partition),
            'messaging.kafka.offset': Number(messages[0]?.offset ?? -1),
            'messaging.batch.message_count': messages.length,
            'messaging.consumer.group.name': this.options.groupId,
            [SPAN_ATTRIBUTES.projection]: this.options.name,
            [SPAN_ATTRIBUTES.eventType]: eventType,
            ...(single
              ? {
                  [SPAN_ATTRIBUTES.eventId]: single.envelope.eventId,
                  [SPAN_ATTRIBUTES.commandId]: single.envelope.commandId,
                  [SPAN_ATTRIBUTES.aggregateId]: single.envelope.aggregateId,
                  [SPAN_ATTRIBUTES.waitedMs]: Date.now() - Date.parse(single.envelope.occurredAt),
                }
              : {}),
          },
        },
        async (span) => {
          const { result, outcome } = await work();
          span.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
          return result;
        },
      );
    if (!single) return run();
    const { eventId, commandId, correlationId } = single.envelope;
    return withLogContext({ eventId, commandId, correlationId }, run);
  }

  private lastEventAt(messages: readonly KafkaMessage[]): string | null {
    const last = messages.at(-1);
    if (!last) return null;
    const occurred = last.headers?.['occurred-at']?.toString();
    return occurred ?? new Date(Number(last.timestamp)).toISOString();
  }

  /**
   * Re-applies a parked aggregate's whole history, read from the event topics, once the cause of
   * its parking is fixed. Events the read model already has are skipped by its version guard;
   * if every other event applies, the aggregate is unparked. Meanwhile the consumer holds back
   * new events of this aggregate, so none is parked behind a redrive that has already passed it.
   * Runs in the replica that consumes the aggregate's partition (with one replica, always).
   */
  async redrive(aggregateKey: string, source?: EventSource): Promise<RedriveResult> {
    if (source && !this.owns(source))
      return {
        aggregateKey,
        redriven: false,
        reason: `${source.topic} partition ${source.partition} is consumed by another member now; try again`,
      };
    const running = this.redriveNow(aggregateKey, source);
    this.redriving.set(aggregateKey, running);
    try {
      return await running;
    } finally {
      this.redriving.delete(aggregateKey);
    }
  }

  /**
   * Where a redrive of the aggregate must run (see {@link RedrivePlace}), found from its first
   * dead letter's source: its partition, and the member of the group that consumes it now.
   */
  async placeRedrive(aggregateKey: string): Promise<RedrivePlace> {
    const source = await this.firstDeadLetterSource(aggregateKey);
    // No dead letter left (its retention passed): any member reads every partition, as before.
    if (!source || this.owns(source)) return { kind: 'here', source };
    const admin = this.admin;
    if (!admin) return { kind: 'unavailable', reason: 'the projector is not running' };
    const { state, members } = await groupMembers(admin, this.options.groupId);
    const owner = members.find((member) => member.assignment[source.topic]?.includes(source.partition));
    if (!owner || state !== 'Stable')
      return { kind: 'unavailable', reason: `the group is rebalancing (${state}); try again in a moment` };
    const url = owner.advert.url;
    if (url === undefined)
      return {
        kind: 'unavailable',
        reason: `${source.topic} partition ${source.partition} is consumed by member ${owner.memberId} at ${owner.clientHost}, which did not say where it answers; send the redrive there`,
      };
    return { kind: 'member', url, memberId: owner.memberId };
  }

  private owns(source: EventSource): boolean {
    return this.assignment[source.topic]?.includes(source.partition) ?? false;
  }

  /** The source of the aggregate's earliest dead letter: where its trouble began. */
  private async firstDeadLetterSource(aggregateKey: string): Promise<EventSource | undefined> {
    const letters = await readToEnd(
      this.options.kafka,
      [this.options.deadLetterTopic],
      (message) => keyOf(message) === aggregateKey,
    );
    const sources = letters.flatMap(({ message }) => {
      const match = /^(.+)\/(\d+)\/(\d+)$/.exec(
        message.headers?.[DEAD_LETTER_HEADERS.source]?.toString() ?? '',
      );
      return match ? [{ topic: match[1] ?? '', partition: Number(match[2]), offset: Number(match[3]) }] : [];
    });
    return sources.sort((a, b) => a.offset - b.offset)[0];
  }

  private async redriveNow(aggregateKey: string, source: EventSource | undefined): Promise<RedriveResult> {
    const { kafka, topics, projection, logger } = this.options;
    if (!(await this.parked.store.isParked(aggregateKey)))
      return { aggregateKey, redriven: false, reason: 'not parked' };
    // From its first dead letter on, in its partition: the events before it were applied.
    const history = source
      ? (
          await readPartition(
            kafka,
            { topic: source.topic, partition: source.partition, fromOffset: source.offset },
            (message) => keyOf(message) === aggregateKey,
          )
        ).map((message) => ({ topic: source.topic, partition: source.partition, message }))
      : await readToEnd(kafka, topics, (message) => keyOf(message) === aggregateKey);
    const decoded = history.map(({ message }) => this.decode(message));
    const failed = decoded.findIndex((item) => 'error' in item);
    const events = decoded
      .slice(0, failed < 0 ? undefined : failed)
      .flatMap((item) => ('event' in item ? [item.event] : []));
    let applied = 0;
    const stop = (at: number, reason: string): RedriveResult => {
      const source = history[at];
      logger.warn({ aggregate: aggregateKey, offset: source?.message.offset, reason }, 'redrive stopped');
      return {
        aggregateKey,
        redriven: false,
        reason: source ? `${source.topic}/${source.partition}/${source.message.offset}: ${reason}` : reason,
        applied,
      };
    };
    for (let attempt = 1; ; attempt++) {
      let outcome;
      try {
        const prepared = await projection.prepare([{ key: aggregateKey, events }]);
        const [fold] = prepared.folds;
        const written = await prepared.write([]);
        const unwritten = written.unwritten.get(aggregateKey);
        if (unwritten?.kind === 'conflict' && attempt < 10) continue;
        if (unwritten)
          return stop(0, unwritten.kind === 'conflict' ? 'kept changing' : unwritten.error.message);
        outcome = fold;
      } catch (error) {
        return stop(0, error instanceof Error ? error.message : String(error));
      }
      applied = outcome?.outcomes.filter((o) => o === 'applied').length ?? 0;
      if (outcome?.rejection) return stop(outcome.outcomes.length, describeRejection(outcome.rejection));
      break;
    }
    if (failed >= 0) {
      const item = decoded[failed];
      return stop(failed, `cannot be decoded: ${item && 'error' in item ? item.error : ''}`);
    }
    await this.parked.unpark(aggregateKey);
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
    const offsets = await whileSettling(() => admin.fetchTopicOffsets(this.options.deadLetterTopic));
    return offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
  }

  /**
   * Writes the checkpoints of what was applied since the last ones, where due (or all), each
   * after the partition's batch in hand: concurrent writes share the store's request. A move the
   * store refuses (another member moved the checkpoint) drops the cursor: the next batch reads
   * the store's checkpoint again.
   */
  private async writeCheckpoints(all = false): Promise<void> {
    const { projection } = this.options;
    await Promise.all(
      [...this.cursors].map(([key, cursor]) =>
        cursor.exclusive(async () => {
          const move = cursor.pendingMove(Date.now(), all);
          if (!move) return;
          const outcome = await (await projection.prepare([])).write([move]);
          if (outcome.checkpointed) cursor.checkpointed(move.next, Date.now());
          else if (this.cursors.get(key) === cursor) {
            this.cursors.delete(key);
            if (outcome.checkpointMoved && !all)
              await this.replayFromStore(move.topic, move.partition, 'the store refused a checkpoint');
          }
        }),
      ),
    );
    if (!all) await this.auditCheckpoints();
  }

  /**
   * Every {@link CHECKPOINT_AUDIT_MS}, the store's checkpoints are read and compared with what
   * each partition last wrote: one behind it lost data while its partition waited for events
   * (no move was refused), and is replayed from there at once.
   */
  private async auditCheckpoints(): Promise<void> {
    const now = Date.now();
    if (this.cursors.size === 0 || now - this.checkpointsAuditedAt < CHECKPOINT_AUDIT_MS) return;
    this.checkpointsAuditedAt = now;
    // Taken before the read: a checkpoint written meanwhile is only ahead of it.
    const written = [...this.cursors].map(([key, cursor]) => ({ key, cursor, next: cursor.stored }));
    const held = await this.options.projection.checkpoints(this.options.topics);
    for (const { key, cursor, next } of written) {
      if (next === null) continue;
      const at = key.lastIndexOf(':');
      const [topic, partition] = [key.slice(0, at), Number(key.slice(at + 1))];
      const stored = held.find((c) => c.topic === topic && c.partition === partition)?.next;
      if (stored !== undefined && stored >= next) continue;
      await cursor.exclusive(async () => {
        if (this.cursors.get(key) !== cursor) return;
        this.cursors.delete(key);
        await this.replayFromStore(topic, partition, "the store's checkpoint went back");
      });
    }
  }

  /**
   * The store refused a checkpoint of a partition with no batch in hand, or holds one behind
   * what was written: it lost data (or another writer moved it). The partition is sent back to the store's checkpoint at once, not
   * at its next event, which may be long in coming; its next batch reads the checkpoint again.
   */
  private async replayFromStore(topic: string, partition: number, why: string): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const stored = (await this.options.projection.checkpoints([topic])).find(
      (c) => c.partition === partition,
    );
    const known = this.lag.get(topic, partition);
    const start = known?.start ?? 0;
    const expected = Math.max(stored?.next ?? start, start);
    const end = Math.max(known?.end ?? expected, expected);
    this.options.logger.warn(
      { topic, partition, checkpoint: stored?.next ?? null, end },
      `${why} (it lost data); replaying the partition from its checkpoint`,
    );
    this.lag.record(topic, partition, { position: expected, end, start, recoveringUntil: end });
    consumer.seek({ topic, partition, offset: String(expected) });
  }

  /** Commits what was checkpointed to Kafka: lag tooling reads it there. The store's checkpoint stays the truth. */
  private async commitApplied(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const offsets = [...this.cursors].flatMap(([key, cursor]) => {
      if (cursor.uncommitted === undefined) return [];
      const at = key.lastIndexOf(':');
      const offset = {
        topic: key.slice(0, at),
        partition: Number(key.slice(at + 1)),
        offset: String(cursor.uncommitted),
      };
      cursor.uncommitted = undefined;
      return [offset];
    });
    if (offsets.length > 0) await consumer.commitOffsets(offsets);
  }

  /** Every `lagIntervalMs`: applied offsets committed to Kafka, lag measured. */
  private scheduleHousekeeping(): void {
    const interval = this.options.lagIntervalMs ?? 1_000;
    const admin = this.admin;
    if (!admin) return;
    const run = () => {
      // Checkpoints wait behind their partition's batch, which waits for its store: they must
      // not hold up the lag, which says how far behind a projector stuck on its store is.
      this.checkpointing ??= this.writeCheckpoints()
        .catch((error: unknown) => {
          this.options.logger.debug({ err: error }, 'checkpoints not written; trying again');
        })
        .finally(() => {
          this.checkpointing = undefined;
        });
      this.housekeeping = Promise.all([
        // A member that lost the partition meanwhile cannot commit it; its new owner goes on
        // from the store's checkpoint anyway.
        this.commitApplied().catch((error: unknown) => {
          this.options.logger.debug({ err: error }, 'applied offsets not committed');
        }),
        this.lag.measure(admin).catch((error: unknown) => {
          this.options.logger.debug({ err: error }, 'lag not measured');
        }),
        this.readFirstProgress().catch((error: unknown) => {
          this.options.logger.debug({ err: error }, 'checkpoints of the topics read first not read');
        }),
      ])
        .then(() => undefined)
        .finally(() => {
          this.housekeeping = undefined;
          // Stopped meanwhile: stop() disconnects the admin client.
          if (this.lagTimer === undefined) return;
          this.lagTimer = setTimeout(run, interval);
          this.lagTimer.unref();
        });
    };
    this.lagTimer = setTimeout(run, 0);
    this.lagTimer.unref();
  }

  /** Other members' progress on the topics read first, from the store, while the gate is closed. */
  private async readFirstProgress(): Promise<void> {
    if (this.readFirst.open) return;
    for (const { topic, partition, next } of await this.options.projection.checkpoints(this.readFirst.topics))
      this.firstTopicReached(topic, partition, next);
  }

  private firstTopicReached(topic: string, partition: number, next: number): void {
    if (this.readFirst.reached(topic, partition, next))
      this.options.logger.info('the topics read first are in; taking in the others');
  }

  status(): ProjectorStatus {
    return {
      name: this.options.name,
      running: this.consumer !== undefined,
      mode: this.options.replay === true ? 'replay' : 'live',
      recovering: this.lag.recovering(),
      groupId: this.options.groupId,
      beyondUntil: this.beyondUntil,
      storeAvailable: this.storeAvailable,
      applied: this.applied,
      deadLettered: this.deadLettered,
      rejoined: this.rejoined,
      lagMeasuredAt: this.lag.measuredAt?.toISOString() ?? null,
      partitions: this.lag.partitions(),
      assignment: this.assignment,
      readingFirst: this.readFirst.awaited(),
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

  private async runFirstApplied(event: ProjectedEvent): Promise<void> {
    const { onFirstApplied, replay, logger } = this.options;
    if (!onFirstApplied || replay === true) return;
    await onFirstApplied(event).catch((error: unknown) => {
      logger.error({ err: error, eventId: event.envelope.eventId }, 'once-per-event work failed');
    });
  }

  /** Runs a store read until the store answers; undefined when stopped first. */
  private async untilAnswered<T>(
    work: () => Promise<T>,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<T | undefined> {
    const { backoffMs = 100, maxBackoffMs = 10_000, logger } = this.options;
    for (let pause = backoffMs; isRunning(); pause = Math.min(pause * 2, maxBackoffMs)) {
      try {
        const result = await work();
        this.storeAvailable = true;
        return result;
      } catch (error) {
        this.options.metrics?.recordStoreError();
        if (this.storeAvailable) logger.warn({ err: error }, 'store unavailable; waiting');
        this.storeAvailable = false;
        await this.pause(pause, heartbeat);
      }
    }
    return undefined;
  }

  /**
   * Runs work that may take long (a large batch on a slow store) while heartbeating every
   * interval, so that the group does not take the member for dead meanwhile. A refused heartbeat
   * is left to the next one awaited between batches, which gives kafkajs its error.
   */
  private async heartbeating<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatIntervalMs());
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** Heartbeats go every tenth of the session timeout. */
  private heartbeatIntervalMs(): number {
    return Math.max(500, Math.floor((this.options.sessionTimeoutMs ?? 10_000) / 10));
  }

  /** Waits, heartbeating, so the group does not take the partition away meanwhile. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    for (let waited = 0; waited < ms; waited += 1_000) {
      await delay(Math.min(1_000, ms - waited));
      await heartbeat();
    }
  }
}

/** `<aggregate type>:<aggregate id>` of an event message, as parked aggregates are named. */
function keyOf(message: KafkaMessage): string {
  return `${message.headers?.['aggregate-type']?.toString() ?? ''}:${message.key?.toString() ?? ''}`;
}
