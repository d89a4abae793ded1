import { ShopError } from '@cqrs-shop/errors';
import { canRetry } from '@cqrs-shop/errors';
import type { Logger } from '@cqrs-shop/logging';
import {
  type AggregateGroup,
  type Decoded,
  type EventOutcome,
  type Letter,
  parkRest,
  readFold,
  sortBatch,
  toAggregateEvents,
} from './batch.js';
import type { ParkedSet } from './parked-set.js';
import {
  type CheckpointMove,
  type PreparedBatch,
  type Projection,
  type ProjectedEvent,
} from '@cqrs-shop/read-models';

/** How failures are retried. */
export interface RetryPolicy {
  /**
   * Attempts at an aggregate whose write keeps failing for an unexplained reason, before it is
   * parked — and not before `budgetMs` has passed since its first failure: a hiccup the store
   * did not explain (a failover, a restart) must not park what would pass a moment later.
   */
  readonly attempts: number;
  readonly budgetMs: number;
  /** First pause after a failure; it doubles up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** Everything applying a batch needs besides the batch: one object instead of long argument lists. */
export interface ApplyContext {
  readonly projection: Projection;
  readonly parked: ParkedSet;
  /** Sends events to the dead-letter topic, each with its reason; resolves once Kafka has them. */
  readonly deadLetter: (letters: readonly Letter[]) => Promise<void>;
  readonly policy: RetryPolicy;
  readonly logger: Logger;
  /** Only events that happened up to this instant are applied (a point-in-time version). */
  readonly untilMs?: number;
  /** Waits (heartbeating, so the group keeps the partition here). */
  readonly pause: (ms: number) => Promise<void>;
  /** False once the consumer is stopping: give up what is in hand, uncommitted. */
  readonly isRunning: () => boolean;
  /** Told every time the store answers or fails to. */
  readonly storeAnswered: (available: boolean, error?: unknown) => void;
  /** The time in ms (a clock of its own in tests). */
  readonly now: () => number;
}

export type BatchResult =
  | {
      readonly kind: 'settled';
      /** The outcome of every event, in batch order. */
      readonly outcomes: readonly EventOutcome[];
      /** Events written for the first time, in batch order. */
      readonly firstApplied: readonly ProjectedEvent[];
      /** Why each aggregate parked by this batch was parked. */
      readonly parked: ReadonlyMap<string, string>;
    }
  /** Stopped before everything was settled: nothing may be committed. */
  | { readonly kind: 'stopped' }
  /** The store's checkpoint is not the expected one: read from the store's checkpoint instead. */
  | { readonly kind: 'checkpoint-moved' };

/** After this many lost races in a row, an aggregate counts as failing. */
const MAX_CONFLICTS = 10;

/** The projector stopped while a batch waited for its store; the batch is left unapplied. */
class StoppedError extends ShopError<'projector.stopped'> {
  constructor() {
    super('projector.stopped', 'the projector stopped');
  }
}

/**
 * Applies one batch: each aggregate's events folded and written as one change, the batch's
 * aggregates in one request per store, then the checkpoints. An aggregate whose write loses a
 * race is read and folded again; one that fails is retried on its own (the others go on), and
 * parked once it has failed `attempts` times or the store says trying again cannot help. An
 * unreachable store is waited for without limit. Dead letters and park marks are written before
 * the checkpoints move past them, so a crash at any point loses nothing.
 */
export async function applyBatch(
  ctx: ApplyContext,
  decoded: readonly Decoded[],
  checkpoints: readonly CheckpointMove[],
): Promise<BatchResult> {
  try {
    return await new BatchRun(ctx, decoded, checkpoints).run();
  } catch (error) {
    if (error instanceof StoppedError) return { kind: 'stopped' };
    throw error;
  }
}

class BatchRun {
  private readonly outcomes: (EventOutcome | undefined)[];
  private letters: Letter[];
  private readonly parks: Map<string, string>;
  private pending: AggregateGroup[];
  private readonly written: AggregateGroup[] = [];
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly conflicts = new Map<string, number>();
  /** After an unexplained failure of a whole request, aggregates go one at a time. */
  private alone = false;
  private pauseMs: number;

  constructor(
    private readonly ctx: ApplyContext,
    private readonly decoded: readonly Decoded[],
    private readonly checkpoints: readonly CheckpointMove[],
  ) {
    const sorted = sortBatch(decoded, (key) => ctx.parked.has(key), ctx.untilMs);
    this.outcomes = sorted.outcomes;
    this.letters = sorted.letters;
    this.parks = sorted.parks;
    this.pending = sorted.groups;
    this.pauseMs = ctx.policy.backoffMs;
  }

  async run(): Promise<BatchResult> {
    for (;;) {
      const round = this.alone ? this.pending.slice(0, 1) : this.pending;
      // The checkpoints go with the write that settles the last aggregates: never ahead of them.
      const last = round.length === this.pending.length;
      let prepared: PreparedBatch;
      try {
        prepared = await this.untilAnswered(() => this.ctx.projection.prepare(toAggregateEvents(round)));
        this.readFolds(round, prepared);
        await this.flushLetters();
      } catch (error) {
        if (error instanceof StoppedError) throw error;
        await this.failed(round, error);
        continue;
      }
      let outcome;
      try {
        outcome = await this.untilAnswered(() => prepared.write(last ? this.checkpoints : []));
      } catch (error) {
        if (error instanceof StoppedError) throw error;
        await this.failed(round, error);
        continue;
      }
      if (outcome.checkpointMoved) return { kind: 'checkpoint-moved' };
      this.pending = this.pending.filter((group) => !round.includes(group));
      for (const group of round) {
        const unwritten = outcome.unwritten.get(group.key);
        if (unwritten === undefined) {
          this.written.push(group);
          continue;
        }
        if (unwritten.kind === 'conflict') {
          const lost = (this.conflicts.get(group.key) ?? 0) + 1;
          this.conflicts.set(group.key, lost);
          if (lost < MAX_CONFLICTS) {
            this.pending.push(group);
            continue;
          }
          await this.failedAlone(group, new Error(`${group.key} kept changing while it was written`), false);
          continue;
        }
        await this.failedAlone(group, unwritten.error, unwritten.permanent);
      }
      await this.flushLetters();
      if (this.pending.length > 0) continue;
      if (!(last && outcome.checkpointed) && this.checkpoints.length > 0) {
        // Everything is settled, but not by the write that carried the checkpoints.
        const moved = await this.untilAnswered(async () =>
          (await this.ctx.projection.prepare([])).write(this.checkpoints),
        );
        if (moved.checkpointMoved) return { kind: 'checkpoint-moved' };
      }
      return this.settled();
    }
  }

  private readFolds(round: readonly AggregateGroup[], prepared: PreparedBatch): void {
    if (prepared.folds.length !== round.length)
      throw new Error(`the projection folded ${prepared.folds.length} aggregates of ${round.length}`);
    round.forEach((group, i) => {
      const fold = prepared.folds[i];
      if (!fold) return;
      const read = readFold(group, fold);
      for (const { index, outcome } of read.outcomes) this.outcomes[index] = outcome;
      if (read.parkReason !== undefined) {
        this.letters.push(...read.letters);
        for (const { index } of read.letters) this.outcomes[index] = 'parked';
        if (!this.parks.has(group.key)) this.parks.set(group.key, read.parkReason);
      }
    });
  }

  /** Dead letters first, then the park marks: after a crash in between, an event is only dead-lettered again. */
  private async flushLetters(): Promise<void> {
    if (this.letters.length > 0) {
      const letters = this.letters;
      await this.ctx.deadLetter(letters);
      this.letters = [];
    }
    for (const [key, reason] of this.parks) {
      if (this.ctx.parked.has(key)) continue;
      await this.untilAnswered(() => this.ctx.parked.park(key, reason));
      this.ctx.logger.error({ aggregate: key, reason }, 'aggregate parked');
    }
  }

  /** A request for several aggregates failed: try them one at a time; a single one counts a failure. */
  private async failed(round: readonly AggregateGroup[], error: unknown): Promise<void> {
    const [only] = round;
    // Only the checkpoints were being written: nothing to single out.
    if (!only) throw error;
    if (round.length > 1) {
      this.ctx.logger.warn(
        { err: error, aggregates: round.length },
        'batch failed; applying its aggregates one by one',
      );
      this.alone = true;
      return;
    }
    this.pending = this.pending.filter((group) => group !== only);
    await this.failedAlone(only, error, false);
    await this.flushLetters();
  }

  private async failedAlone(group: AggregateGroup, error: unknown, permanent: boolean): Promise<void> {
    const known = this.failures.get(group.key);
    const failures = (known?.count ?? 0) + 1;
    const since = known?.since ?? this.ctx.now();
    this.failures.set(group.key, { count: failures, since });
    const message = error instanceof Error ? error.message : String(error);
    const exhausted =
      failures >= this.ctx.policy.attempts && this.ctx.now() - since >= this.ctx.policy.budgetMs;
    if (permanent || exhausted) {
      const reason = permanent ? `refused by the store: ${message}` : `failed ${failures} times: ${message}`;
      this.letters.push(...parkRest(group, 0, reason).letters);
      for (const index of group.indexes) this.outcomes[index] = 'parked';
      if (!this.parks.has(group.key)) this.parks.set(group.key, reason);
      return;
    }
    this.ctx.logger.warn(
      { err: error, aggregate: group.key, failures },
      'aggregate not written; trying again',
    );
    this.pending.unshift(group);
    await this.backOff();
  }

  private async backOff(): Promise<void> {
    await this.ctx.pause(this.pauseMs);
    this.pauseMs = Math.min(this.pauseMs * 2, this.ctx.policy.maxBackoffMs);
    if (!this.ctx.isRunning()) throw new StoppedError();
  }

  /** Runs a store call until the store answers; gives up only when the consumer stops. */
  private async untilAnswered<T>(work: () => Promise<T>): Promise<T> {
    for (let pause = this.ctx.policy.backoffMs; ; pause = Math.min(pause * 2, this.ctx.policy.maxBackoffMs)) {
      if (!this.ctx.isRunning()) throw new StoppedError();
      try {
        const result = await work();
        this.ctx.storeAnswered(true);
        return result;
      } catch (error) {
        if (!canRetry(error)) throw error;
        this.ctx.storeAnswered(false, error);
        await this.ctx.pause(pause);
      }
    }
  }

  private settled(): BatchResult {
    const writtenKeys = new Set(this.written.map((group) => group.key));
    const firstApplied = this.decoded.flatMap((item, index) =>
      'event' in item && this.outcomes[index] === 'applied' && writtenKeys.has(item.aggregateKey)
        ? [item.event]
        : [],
    );
    const outcomes = this.outcomes.map((outcome) => outcome ?? 'skipped');
    return { kind: 'settled', outcomes, firstApplied, parked: this.parks };
  }
}
